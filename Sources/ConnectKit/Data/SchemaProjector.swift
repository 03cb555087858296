/// Projects a value written with one schema onto a compatible schema, with the semantics of
/// Kafka's `org.apache.kafka.connect.data.SchemaProjector`: numeric promotion (int8 → … → float64),
/// struct fields matched by name (fields missing in the source take the target's default or null
/// if optional), optional → required only when the target has a default.
public enum SchemaProjector {
    /// Projects `value` from `source` onto `target`; throws a ``DataError`` explaining the incompatibility.
    public static func project(_ value: Value, from source: Schema, to target: Schema) throws(DataError) -> Value {
        try checkMaybeCompatible(source, target)
        if source.isOptional && !target.isOptional {
            if let d = target.defaultValue {
                if case .null = value { return d }
                return try projectRequired(value, source, target)
            }
            throw DataError("Writer schema is optional, however, target schema does not provide a default value.")
        }
        if case .null = value { return .null }
        return try projectRequired(value, source, target)
    }

    private static func projectRequired(_ value: Value, _ source: Schema, _ target: Schema) throws(DataError) -> Value {
        switch target.type {
        case .struct:
            guard case .struct(let s) = value else { throw DataError("Expected a struct for \(source), got \(value.kindName)") }
            var out = try Struct(target)
            for f in target.fields {
                let projected: Value
                if let sf = source.field(f.name) {
                    projected = try project(s.get(sf), from: sf.schema, to: f.schema)
                } else if f.schema.isOptional {
                    projected = .null
                } else if let d = f.schema.defaultValue {
                    projected = d
                } else {
                    throw DataError("Required field `\(f.name)` is missing from source schema: \(source)")
                }
                out.setUnchecked(f.index, projected)
            }
            return .struct(out)
        case .array:
            guard case .array(let a) = value, let se = source.valueSchema, let te = target.valueSchema else {
                throw DataError("Expected an array for \(source), got \(value.kindName)")
            }
            var out: [Value] = []
            out.reserveCapacity(a.count)
            for e in a { out.append(try project(e, from: se, to: te)) }
            return .array(out)
        case .map:
            guard case .map(let m) = value, let sk = source.keySchema, let sv = source.valueSchema,
                let tk = target.keySchema, let tv = target.valueSchema
            else { throw DataError("Expected a map for \(source), got \(value.kindName)") }
            var out = MapValue()
            for e in m { out.entries.append(MapEntry(key: try project(e.key, from: sk, to: tk), value: try project(e.value, from: sv, to: tv))) }
            return .map(out)
        default:
            return try projectPrimitive(value, source, target)
        }
    }

    private static func projectPrimitive(_ value: Value, _ source: Schema, _ target: Schema) throws(DataError) -> Value {
        guard source.type != target.type else { return value }
        guard isPromotable(source.type, target.type) else {
            throw DataError("Schema type mismatch. source type: \(source.type) and target type: \(target.type)")
        }
        switch (target.type, value) {
        case (.float64, .float32(let f)): return .float64(Double(f))
        case (.float64, _): if let i = value.int64Value { return .float64(Double(i)) }
        case (.float32, _): if let i = value.int64Value { return .float32(Float(i)) }
        case (.int64, _): if let i = value.int64Value { return .int64(i) }
        case (.int32, _): if let i = value.int64Value { return .int32(Int32(i)) }
        case (.int16, _): if let i = value.int64Value { return .int16(Int16(i)) }
        default: break
        }
        throw DataError("Not promotable type: \(value.kindName) to \(target.type)")
    }

    /// Whether values of `source` can be widened to `target` (Kafka's promotion table).
    public static func isPromotable(_ source: SchemaType, _ target: SchemaType) -> Bool {
        switch source {
        case .int8: [.int16, .int32, .int64, .float32, .float64].contains(target)
        case .int16: [.int32, .int64, .float32, .float64].contains(target)
        case .int32: [.int64, .float32, .float64].contains(target)
        case .int64: [.float32, .float64].contains(target)
        case .float32: target == .float64
        default: false
        }
    }

    private static func checkMaybeCompatible(_ source: Schema, _ target: Schema) throws(DataError) {
        if source.type != target.type && !isPromotable(source.type, target.type) {
            throw DataError("Schema type mismatch. source type: \(source.type) and target type: \(target.type)")
        }
        if source.name != target.name {
            throw DataError("Schema name mismatch. source name: \(source.name ?? "null") and target name: \(target.name ?? "null")")
        }
        if source.parameters != target.parameters {
            throw DataError(
                "Schema parameters not equal. source parameters: \(source.parameters.map(String.init(describing:)) ?? "null") and target parameters: \(target.parameters.map(String.init(describing:)) ?? "null")")
        }
    }
}
