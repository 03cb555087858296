package import ConnectKit

/// The parts of a record that fused transformation steps read and change: the value struct's
/// values (owned, changed in place), the topic and the key.
package struct FusedRecord {
    package var values: [ConnectKit.Value]
    package var topic: String
    package let kafkaPartition: Int32?
    package let timestamp: Int64?
    /// The Kafka offset of a sink record; nil for a source record.
    package let offset: Int64?
    package var key: ConnectKit.Value? = nil
    package var keySchema: Schema? = nil

    /// The values, moved out (the record keeps an empty array).
    package mutating func takeValues() -> [ConnectKit.Value] {
        var out: [ConnectKit.Value] = []
        swap(&out, &values)
        return out
    }

    package init(values: consuming [ConnectKit.Value], topic: String, kafkaPartition: Int32?, timestamp: Int64?, offset: Int64?) {
        self.values = values
        self.topic = topic
        self.kafkaPartition = kafkaPartition
        self.timestamp = timestamp
        self.offset = offset
    }
}

/// One transformation's work on records whose value is a struct of a known schema, prepared once
/// per schema: what `apply` does, without going through the record for every stage.
package struct FusedStep: Sendable {
    package let run: @Sendable (inout FusedRecord) throws -> Void
    /// The value schema after this step.
    package let output: Schema
}

extension RecordSide {
    /// The struct branch of `apply` for a transformation with a fused step: the step, made once per
    /// struct schema, runs on the struct's values (moved out, changed in place) — the same work a
    /// fused chain does. `conformingTo` reads the struct as a struct of the record's schema first
    /// (for transformations that, like Kafka's, plan by the record's schema); `keepingRecordSchema`
    /// leaves the record's schema on the record (MaskField's `newRecord`).
    func runStep<R: ConnectRecord>(
        _ record: consuming R, _ purpose: String, cache: PlanCache<FusedStep>, offset: Int64? = nil,
        conformingTo: Schema? = nil, keepingRecordSchema: Bool = false, _ make: (Schema) throws(DataError) -> FusedStep
    ) throws -> R {
        var out = consume record
        let recordSchema = schema(out)
        var s = try takeStruct(take(&out), purpose)
        if let conformingTo { s = try s.conforming(to: conformingTo) }
        let structSchema = s.schema
        let step = try cache.get(structSchema) { () throws(DataError) in try make(structSchema) }
        var r = FusedRecord(values: (consume s).intoValues(), topic: out.topic, kafkaPartition: out.kafkaPartition, timestamp: out.timestamp, offset: offset)
        try step.run(&r)
        return replace(consume out, schema: keepingRecordSchema ? recordSchema : step.output, value: .struct(makeStruct(step.output, r.takeValues())))
    }
}

/// A transformation that can run as a fused step (value-side, struct values). `nil` from
/// `fusedStep` means "use `apply` for this schema".
package protocol FusableTransformation: Transformation {
    func fusedStep(valueSchema: Schema, sinkRecord: Bool) throws(DataError) -> FusedStep?
}

extension InsertField {
    /// The insertion on a struct of this schema (`offset.field` reads the offset of a sink record).
    func step(_ schema: Schema) throws(DataError) -> FusedStep {
        let updated = try makeSchema(schema)
        let defaulted = replaceNullWithDefault ? defaultedFields(schema) : []
        let defaults = defaulted.map { schema.fields[$0].schema.defaultValue! }
        let (topic, partition, offset, timestamp) = (topicField != nil, partitionField != nil, offsetField != nil, timestampField != nil)
        let staticValue: ConnectKit.Value? = staticField == nil ? nil : (self.staticValue.map { .string($0) } ?? .null)
        let required = updated.fields[schema.fields.count...].filter { !$0.schema.isOptional }.map { ($0.index, $0.name, $0.schema.type) }
        return FusedStep(run: { r in
            for (n, i) in defaulted.enumerated() where r.values[i].isNull { r.values[i] = defaults[n] }
            r.values.reserveCapacity(updated.fields.count)
            if topic { r.values.append(.string(r.topic)) }
            if partition { r.values.append(r.kafkaPartition.map { .int32($0) } ?? .null) }
            if offset { r.values.append(r.offset.map { .int64($0) } ?? .null) }
            if timestamp { r.values.append(r.timestamp.map { .timestamp($0) } ?? .null) }
            if let staticValue { r.values.append(staticValue) }
            for (i, name, type) in required where r.values[i].isNull {
                throw DataError("Invalid value: null used for required field: \"\(name)\", schema type: \(type)")
            }
        }, output: updated)
    }
}

extension ReplaceField {
    /// The replacement on a struct of this schema.
    func step(_ schema: Schema) throws(DataError) -> FusedStep {
        var b = copyBasics(schema, .struct())
        var sources: [Int] = []
        for f in schema.fields where keep(f.name) {
            b = b.field(renames[f.name] ?? f.name, f.schema)
            sources.append(f.index)
        }
        let updated = try b.build()
        let defaults: [ConnectKit.Value?] = schema.fields.map { replaceNullWithDefault ? $0.schema.defaultValue : nil }
        let sourceIndexes = sources
        return FusedStep(run: { r in
            // Kept fields are in schema order: compact them to the front in place, then cut the rest.
            for (n, i) in sourceIndexes.enumerated() {
                if n != i { r.values.swapAt(n, i) }
                if r.values[n].isNull, let d = defaults[i] { r.values[n] = d }
            }
            r.values.removeLast(r.values.count - sourceIndexes.count)
        }, output: updated)
    }
}

extension MaskField {
    /// The masking on a struct of this schema.
    func step(_ schema: Schema) -> FusedStep {
        let maskedFields = schema.fields.filter { fieldSet.contains($0.name) }.map(\.index)
        let fieldSchemas = schema.fields.map(\.schema)
        let defaulted = replaceNullWithDefault ? defaultedFields(schema) : []
        let defaults = defaulted.map { schema.fields[$0].schema.defaultValue! }
        return FusedStep(run: { r in
            for (n, i) in defaulted.enumerated() where r.values[i].isNull { r.values[i] = defaults[n] }
            for i in maskedFields { r.values[i] = try self.masked(take(&r.values[i]), schema: fieldSchemas[i]) }
        }, output: schema)
    }
}

extension Cast {
    /// The field casts on a struct of this schema (not for a whole-value cast).
    func step(_ schema: Schema) throws(DataError) -> FusedStep {
        let updated = try makeSchema(schema)
        let targets = schema.fields.compactMap { f in castByName[f.name].map { (f.index, $0) } }
        let fieldSchemas = schema.fields.map(\.schema)
        let defaulted = replaceNullWithDefault ? defaultedFields(schema) : []
        let defaults = defaulted.map { schema.fields[$0].schema.defaultValue! }
        return FusedStep(run: { r in
            for (n, i) in defaulted.enumerated() where r.values[i].isNull { r.values[i] = defaults[n] }
            for (i, type) in targets { r.values[i] = try Cast.cast(take(&r.values[i]), schema: fieldSchemas[i], to: type) }
        }, output: updated)
    }
}

extension TimestampRouter: FusableTransformation {
    package func fusedStep(valueSchema schema: Schema, sinkRecord: Bool) throws(DataError) -> FusedStep? {
        FusedStep(run: { r in
            guard let ts = r.timestamp else { throw DataError("Timestamp missing on record") }
            r.topic = self.route(r.topic, ts)
        }, output: schema)
    }
}

extension ValueToKey: FusableTransformation {
    package func fusedStep(valueSchema schema: Schema, sinkRecord: Bool) throws(DataError) -> FusedStep? {
        guard schema.type == .struct else { return nil }
        var b = SchemaBuilder.struct()
        var sources: [(Int, ConnectKit.Value?)] = []
        for f in fields {
            guard let field = schema.field(f) else { throw DataError("Field does not exist: \(f)") }
            b = b.field(f, field.schema)
            sources.append((field.index, replaceNullWithDefault ? field.schema.defaultValue : nil))
        }
        let keySchema = try b.build()
        let keySources = sources
        return FusedStep(run: { r in
            var key: [ConnectKit.Value] = []
            key.reserveCapacity(keySources.count)
            for (i, d) in keySources {
                let v = r.values[i]
                if v.isNull, let d { key.append(d) } else { key.append(v) }
            }
            r.key = .struct(makeStruct(keySchema, key))
            r.keySchema = keySchema
        }, output: schema)
    }
}

extension InsertField.Value: FusableTransformation {
    package func fusedStep(valueSchema: Schema, sinkRecord: Bool) throws(DataError) -> FusedStep? {
        guard valueSchema.type == .struct, inner.offsetField == nil || sinkRecord else { return nil }
        return try inner.step(valueSchema)
    }
}
extension ReplaceField.Value: FusableTransformation {
    package func fusedStep(valueSchema: Schema, sinkRecord: Bool) throws(DataError) -> FusedStep? {
        valueSchema.type == .struct ? try inner.step(valueSchema) : nil
    }
}
extension MaskField.Value: FusableTransformation {
    package func fusedStep(valueSchema: Schema, sinkRecord: Bool) throws(DataError) -> FusedStep? {
        valueSchema.type == .struct ? inner.step(valueSchema) : nil
    }
}
extension Cast.Value: FusableTransformation {
    package func fusedStep(valueSchema: Schema, sinkRecord: Bool) throws(DataError) -> FusedStep? {
        valueSchema.type == .struct && inner.wholeValue == nil ? try inner.step(valueSchema) : nil
    }
}
