import ConnectKit

/// The converter's hot paths: the walk of ``AvroData/encode(_:schema:avro:into:)`` and
/// ``AvroData/decode(_:from:avro:schema:)`` resolved once per schema pair into a tree of steps
/// (union branch indexes, record field positions, enum symbol tables), run over raw memory. Any
/// value the compiled step does not expect is handed to the general walk, which produces the same
/// bytes or the same error.
final class AvroWritePlan: @unchecked Sendable {
    enum Op: UInt8 {
        case int, long, float, double, boolean, string, bytes, decimal, fixed, enumeration, optional, record, array, stringMap, entryMap, generic
    }

    // Immutable once made: no exclusivity checks on the hot path.
    let op: Op
    let schema: Schema
    let avro: AvroSchema
    let children: [AvroWritePlan]
    /// record: the Connect field index of each Avro field.
    let fieldIndexes: [Int]
    let nullIndex: UInt8
    let valueIndex: UInt8
    let size: Int
    let symbols: [String: Int]
    let keyFirst: Bool

    init(
        op: Op, schema: Schema, avro: AvroSchema, children: [AvroWritePlan] = [], fieldIndexes: [Int] = [], nullIndex: UInt8 = 0,
        valueIndex: UInt8 = 1, size: Int = 0, symbols: [String: Int] = [:], keyFirst: Bool = true
    ) {
        self.op = op
        self.schema = schema
        self.avro = avro
        self.children = children
        self.fieldIndexes = fieldIndexes
        self.nullIndex = nullIndex
        self.valueIndex = valueIndex
        self.size = size
        self.symbols = symbols
        self.keyFirst = keyFirst
        self.unretained = children.map { Unmanaged.passUnretained($0) }
        self.inlineSteps = children.map { c in
            switch c.op {
            case .int, .long, .double, .boolean, .string: return InlineStep(op: c.op)
            case .decimal: return InlineStep(op: .decimal, scale: c.schema.decimalScale)
            case .optional:
                let inner = c.children[0].op
                guard [.int, .long, .double, .boolean, .string].contains(inner) else { return InlineStep(op: .generic) }
                return InlineStep(op: .optional, inner: inner, nullByte: c.nullIndex << 1, valueByte: c.valueIndex << 1)
            default: return InlineStep(op: .generic)
            }
        }
        let steps = UnsafeMutableBufferPointer<FieldStep>.allocate(capacity: op == .record ? children.count : 0)
        if op == .record {
            for i in 0..<children.count {
                let index = fieldIndexes[i]
                steps[i] = FieldStep(
                    index: index, plan: unretained[i], inline: inlineSteps[i], hasDefault: schema.fields[index].schema.defaultValue != nil)
            }
        }
        fieldSteps = steps
    }

    /// record: how each field is written when it is one of the common shapes (`.generic`: not inline).
    let inlineSteps: [InlineStep]

    /// record: per Avro field, what the loop needs, in memory of its own (no reference counting).
    let fieldSteps: UnsafeMutableBufferPointer<FieldStep>

    struct FieldStep {
        var index: Int
        var plan: Unmanaged<AvroWritePlan>
        var inline: InlineStep
        var hasDefault: Bool
    }

    deinit { fieldSteps.deallocate() }
    /// array: the same for the items.
    var inlineItem: InlineStep { inlineSteps.first ?? InlineStep(op: .generic) }

    struct InlineStep {
        var op: Op
        var inner: Op = .generic
        var nullByte: UInt8 = 0
        var valueByte: UInt8 = 2
        var scale: Int32 = 0
    }

    /// Java's `BigInteger.toByteArray()` of `v` (the fewest big-endian bytes that keep the sign),
    /// length first.
    @inline(__always)
    static func writeMinimalTwosComplement(_ v: Int64, _ out: inout AvroOutput) {
        // Bits the value needs with its sign bit, rounded up to bytes.
        let n = (64 - (v ^ (v >> 63)).leadingZeroBitCount + 1 + 7) / 8
        out.byte(UInt8(n << 1))
        out.reserve(8)
        UnsafeMutableRawPointer(out.base + out.count).storeBytes(of: (v << Int64(64 - 8 * n)).bigEndian, as: Int64.self)
        out.count += n
    }

    /// Writes a field of a common shape in place; `false` when the value is not what the step
    /// expects (a null, a default, another kind), which the child's step then handles.
    @inline(__always)
    static func writeInline(_ step: InlineStep, _ value: Value, _ out: inout AvroOutput) -> Bool {
        withUnsafePointer(to: value) { writeInline(step, $0, &out) }
    }

    /// ``writeInline(_:_:_:)`` reading the value in place.
    @inline(__always)
    static func writeInline(_ step: InlineStep, _ pointer: UnsafePointer<Value>, _ out: inout AvroOutput) -> Bool {
        var op = step.op
        let mark = out.count
        if op == .optional {
            if case .null = pointer.pointee {
                out.byte(step.nullByte)
                return true
            }
            op = step.inner
            switch (op, pointer.pointee) {
            case (.int, .int32), (.long, .int64), (.long, .timestamp), (.double, .float64), (.boolean, .boolean), (.string, .string): out.byte(step.valueByte)
            default: return false
            }
        }
        switch op {
        case .int:
            guard case .int32(let v) = pointer.pointee else { return false }
            out.long(Int64(v))
        case .long:
            switch pointer.pointee {
            case .int64(let v), .timestamp(let v): out.long(v)
            default: return false
            }
        case .double:
            guard case .float64(let d) = pointer.pointee else { return false }
            out.fixed64(d.bitPattern)
        case .boolean:
            guard case .boolean(let b) = pointer.pointee else { return false }
            out.byte(b ? 1 : 0)
        case .string:
            guard case .string(let s) = pointer.pointee else { return false }
            let done: Void? = s.utf8.withContiguousStorageIfAvailable { u in
                out.long(Int64(u.count))
                out.append(u)
            }
            if done == nil {
                out.count = mark
                return false
            }
        case .decimal:
            guard case .decimal(let d) = pointer.pointee, d.scale == step.scale, let v = d.unscaled.int64Value else { return false }
            writeMinimalTwosComplement(v, &out)
        default:
            out.count = mark
            return false
        }
        return true
    }

    /// ``children`` without reference counting (``children`` keeps them alive).
    let unretained: [Unmanaged<AvroWritePlan>]

    /// Compiles the walk for `schema` written as `avro`.
    static func make(_ data: AvroData, _ schema: Schema, _ avro: AvroSchema) -> AvroWritePlan {
        func generic() -> AvroWritePlan { AvroWritePlan(op: .generic, schema: schema, avro: avro) }
        switch avro {
        case .union(let branches):
            guard schema.name != AvroData.unionName, branches.count == 2 else { return generic() }
            guard let n = branches.firstIndex(where: { if case .null = $0 { true } else { false } }) else { return generic() }
            let v = 1 - n
            // The branch the general walk would pick for a value must be the non-null one.
            guard data.branchName(for: schema, branches) == branches[v].branchName else { return generic() }
            return AvroWritePlan(
                op: .optional, schema: schema, avro: avro, children: [make(data, schema, branches[v])], nullIndex: UInt8(n), valueIndex: UInt8(v))
        case .null: return generic()
        case .boolean: return AvroWritePlan(op: .boolean, schema: schema, avro: avro)
        case .int: return AvroWritePlan(op: .int, schema: schema, avro: avro)
        case .long: return AvroWritePlan(op: .long, schema: schema, avro: avro)
        case .float: return AvroWritePlan(op: .float, schema: schema, avro: avro)
        case .double: return AvroWritePlan(op: .double, schema: schema, avro: avro)
        case .string: return AvroWritePlan(op: .string, schema: schema, avro: avro)
        case .bytes: return AvroWritePlan(op: schema.kind == .decimal ? .decimal : .bytes, schema: schema, avro: avro)
        case .array(let items):
            if schema.type == .array, let element = schema.valueSchema {
                return AvroWritePlan(op: .array, schema: schema, avro: avro, children: [make(data, element, items)])
            }
            if schema.type == .map, let ks = schema.keySchema, let vs = schema.valueSchema, case .named(let entry) = items,
               case .record(let fields) = entry.shape, fields.count == 2 {
                let keyFirst = fields[0].name == "key"
                let children = keyFirst ? [make(data, ks, fields[0].type), make(data, vs, fields[1].type)]
                    : [make(data, vs, fields[0].type), make(data, ks, fields[1].type)]
                return AvroWritePlan(op: .entryMap, schema: schema, avro: avro, children: children, keyFirst: keyFirst)
            }
            return generic()
        case .map(let values):
            guard schema.type == .map, let vs = schema.valueSchema else { return generic() }
            return AvroWritePlan(op: .stringMap, schema: schema, avro: avro, children: [make(data, vs, values)])
        case .named(let n):
            switch n.shape {
            case .record(let fields):
                guard schema.type == .struct, !schema.isOptional else { return generic() }
                var indexes: [Int] = []
                var children: [AvroWritePlan] = []
                for f in fields {
                    guard let cf = schema.fields.first(where: { data.scrubName($0.name) == f.name }) else { return generic() }
                    indexes.append(cf.index)
                    children.append(make(data, cf.schema, f.type))
                }
                return AvroWritePlan(op: .record, schema: schema, avro: avro, children: children, fieldIndexes: indexes)
            case .enumeration(let symbols, _):
                var table: [String: Int] = [:]
                for (i, s) in symbols.enumerated() where table[s] == nil { table[s] = i }
                return AvroWritePlan(op: .enumeration, schema: schema, avro: avro, symbols: table)
            case .fixed(let size, _):
                return AvroWritePlan(op: .fixed, schema: schema, avro: avro, size: size)
            }
        }
    }

    /// Runs a child step without retaining it.
    @inline(__always)
    static func run(_ plan: Unmanaged<AvroWritePlan>, _ value: Value, _ out: inout AvroOutput, _ data: AvroData) throws(DataError) {
        var failure: DataError? = nil
        plan._withUnsafeGuaranteedRef { p in
            do throws(DataError) { try p.write(value, &out, data) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes `value`.
    func write(_ value: Value, _ out: inout AvroOutput, _ data: AvroData) throws(DataError) {
        switch op {
        case .int:
            switch value {
            case .int32(let v), .date(let v), .time(let v): out.long(Int64(v))
            case .int8(let v): out.long(Int64(v))
            case .int16(let v): out.long(Int64(v))
            default: try fallback(value, &out, data)
            }
        case .long:
            switch value {
            case .int64(let v), .timestamp(let v): out.long(v)
            default: try fallback(value, &out, data)
            }
        case .float:
            guard case .float32(let f) = value else { return try fallback(value, &out, data) }
            out.fixed32(f.bitPattern)
        case .double:
            guard case .float64(let d) = value else { return try fallback(value, &out, data) }
            out.fixed64(d.bitPattern)
        case .boolean:
            guard case .boolean(let b) = value else { return try fallback(value, &out, data) }
            out.byte(b ? 1 : 0)
        case .string:
            guard case .string(let s) = value else { return try fallback(value, &out, data) }
            let done: Void? = s.utf8.withContiguousStorageIfAvailable { u in
                out.long(Int64(u.count))
                out.append(u)
            }
            if done == nil {
                let u = Array(s.utf8)
                out.long(Int64(u.count))
                out.append(u)
            }
        case .bytes:
            guard case .bytes(let b) = value else { return try fallback(value, &out, data) }
            out.long(Int64(b.count))
            b.withUnsafeBufferPointer { out.append($0) }
        case .decimal:
            guard case .decimal(let d) = value, d.scale == schema.decimalScale else { return try fallback(value, &out, data) }
            if let v = d.unscaled.int64Value {
                Self.writeMinimalTwosComplement(v, &out)
            } else {
                d.unscaled.withTwosComplementBytes { b in
                    out.long(Int64(b.count))
                    out.append(b)
                }
            }
        case .optional:
            if value.isNull {
                out.byte(nullIndex << 1)
            } else {
                out.byte(valueIndex << 1)
                try Self.run(unretained[0], value, &out, data)
            }
        case .record:
            guard case .struct(let s) = value, s.schema === schema || s.schema == schema, s.values.count == schema.fields.count else {
                return try fallback(value, &out, data)
            }
            let steps = fieldSteps
            try s.values.withUnsafeBufferPointer { (values) throws(DataError) in
                for i in 0..<steps.count {
                    let step = steps[i]
                    // A null field with a default writes the default (Connect's Struct.get).
                    if step.hasDefault, case .null = values[step.index], let d = schema.fields[step.index].schema.defaultValue {
                        try Self.run(step.plan, d, &out, data)
                        continue
                    }
                    // The common field shapes inline; everything else through the child's step.
                    if Self.writeInline(step.inline, values.baseAddress! + step.index, &out) { continue }
                    try Self.run(step.plan, values[step.index], &out, data)
                }
            }
        case .array:
            guard case .array(let xs) = value else { return try fallback(value, &out, data) }
            if !xs.isEmpty {
                out.long(Int64(xs.count))
                let item = unretained[0]
                let step = inlineItem
                try xs.withUnsafeBufferPointer { (items) throws(DataError) in
                    for i in 0..<items.count where !Self.writeInline(step, items.baseAddress! + i, &out) {
                        try Self.run(item, items[i], &out, data)
                    }
                }
            }
            out.byte(0)
        case .stringMap:
            guard case .map(let m) = value else { return try fallback(value, &out, data) }
            if !m.entries.isEmpty {
                let ordered = javaHashMapOrder(m.entries)
                out.long(Int64(ordered.count))
                for e in ordered {
                    guard case .string(var k) = e.key else {
                        throw e.key.isNull ? DataError("null key in map") : DataError("Invalid type for STRING: \(e.key.kindName)")
                    }
                    k.withUTF8 { u in
                        out.long(Int64(u.count))
                        out.append(u)
                    }
                    try children[0].write(e.value, &out, data)
                }
            }
            out.byte(0)
        case .entryMap:
            guard case .map(let m) = value else { return try fallback(value, &out, data) }
            if !m.entries.isEmpty {
                out.long(Int64(m.entries.count))
                for e in m.entries {
                    try children[0].write(keyFirst ? e.key : e.value, &out, data)
                    try children[1].write(keyFirst ? e.value : e.key, &out, data)
                }
            }
            out.byte(0)
        case .enumeration:
            guard case .string(let s) = value, let i = symbols[s] else { return try fallback(value, &out, data) }
            out.long(Int64(i))
        case .fixed:
            let bytes: [UInt8]
            switch value {
            case .bytes(let b): bytes = b
            case .decimal(let d) where d.scale == schema.decimalScale: bytes = d.unscaled.twosComplementBytes
            default: return try fallback(value, &out, data)
            }
            guard bytes.count == size else { return try fallback(value, &out, data) }
            bytes.withUnsafeBufferPointer { out.append($0) }
        case .generic:
            try fallback(value, &out, data)
        }
    }

    /// The general walk: the same bytes, or the error the compiled step skipped.
    func fallback(_ value: Value, _ out: inout AvroOutput, _ data: AvroData) throws(DataError) {
        var bytes: [UInt8] = []
        try data.write(value, schema, avro, &bytes)
        bytes.withUnsafeBufferPointer { out.append($0) }
    }
}

/// A growable byte buffer in raw memory (freed on deinit).
struct AvroOutput: ~Copyable {
    var base: UnsafeMutablePointer<UInt8>
    var count = 0
    var capacity: Int
    /// Whether ``base`` is ours (else it is the caller's buffer, until the first growth).
    var owned: Bool

    init(capacity: Int) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
        owned = true
    }

    /// Writes into `buffer` (not freed here) until it is full, then into memory of its own.
    init(into buffer: UnsafeMutableBufferPointer<UInt8>) {
        if let b = buffer.baseAddress, buffer.count > 0 {
            base = b
            capacity = buffer.count
            owned = false
        } else {
            capacity = 64
            base = .allocate(capacity: 64)
            owned = true
        }
    }

    deinit { if owned { base.deallocate() } }

    @inline(__always) mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    mutating func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: base, count: count)
        if owned { base.deallocate() }
        base = b
        capacity = c
        owned = true
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func long(_ v: Int64) {
        reserve(10)
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while z >= 0x80 {
            base[count] = UInt8(truncatingIfNeeded: z) | 0x80
            count += 1
            z >>= 7
        }
        base[count] = UInt8(z)
        count += 1
    }

    @inline(__always) mutating func fixed32(_ v: UInt32) {
        reserve(4)
        UnsafeMutableRawPointer(base + count).storeBytes(of: v.littleEndian, as: UInt32.self)
        count += 4
    }

    @inline(__always) mutating func fixed64(_ v: UInt64) {
        reserve(8)
        UnsafeMutableRawPointer(base + count).storeBytes(of: v.littleEndian, as: UInt64.self)
        count += 8
    }

    @inline(__always) mutating func append(_ b: UnsafeBufferPointer<UInt8>) {
        guard let p = b.baseAddress, b.count > 0 else { return }
        reserve(b.count)
        (base + count).update(from: p, count: b.count)
        count += b.count
    }

    mutating func append(_ b: [UInt8]) { b.withUnsafeBufferPointer { append($0) } }

    /// The bytes written, as an array.
    func array() -> [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

/// The compiled read side: Avro binary of a writer schema straight into Connect values.
final class AvroReadPlan: @unchecked Sendable {
    enum Op: UInt8 {
        case boolean, int32, int8, int16, date, time, long, timestamp, float, double, bytes, decimal, fixedBytes, fixedDecimal, string
        case enumeration, union, record, array, stringMap, generic
    }

    let op: Op
    let schema: Schema?
    let avro: AvroSchema
    let children: [AvroReadPlan?]
    /// record: the Connect field index of each Avro field.
    let fieldIndexes: [Int]
    let size: Int
    let symbols: [String]

    init(op: Op, schema: Schema?, avro: AvroSchema, children: [AvroReadPlan?] = [], fieldIndexes: [Int] = [], size: Int = 0, symbols: [String] = []) {
        self.op = op
        self.schema = schema
        self.avro = avro
        self.children = children
        self.fieldIndexes = fieldIndexes
        self.size = size
        self.symbols = symbols
        self.unretained = children.map { $0.map { Unmanaged.passUnretained($0) } }
        self.fieldsInOrder = op == .record && fieldIndexes == Array(0..<(schema?.fields.count ?? -1))
    }

    /// record: the Avro fields are the Connect fields, in the same order.
    let fieldsInOrder: Bool


    /// ``children`` without reference counting.
    let unretained: [Unmanaged<AvroReadPlan>?]

    @inline(__always)
    static func run(_ plan: Unmanaged<AvroReadPlan>, _ r: inout Input, _ bytes: [UInt8], _ data: AvroData) throws(DataError) -> Value {
        var result: Result<Value, DataError> = .success(.null)
        plan._withUnsafeGuaranteedRef { p in
            do throws(DataError) { result = .success(try p.read(&r, bytes, data)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    static func make(_ data: AvroData, _ schema: Schema?, _ avro: AvroSchema) -> AvroReadPlan {
        guard let schema else { return AvroReadPlan(op: .generic, schema: nil, avro: avro) }
        func generic() -> AvroReadPlan { AvroReadPlan(op: .generic, schema: schema, avro: avro) }
        func simple(_ op: Op, children: [AvroReadPlan?] = [], fieldIndexes: [Int] = [], size: Int = 0, symbols: [String] = []) -> AvroReadPlan {
            AvroReadPlan(op: op, schema: schema, avro: avro, children: children, fieldIndexes: fieldIndexes, size: size, symbols: symbols)
        }
        switch avro {
        case .null: return generic()
        case .boolean: return simple(.boolean)
        case .int:
            switch schema.kind {
            case .int8: return simple(.int8)
            case .int16: return simple(.int16)
            case .date: return simple(.date)
            case .time: return simple(.time)
            default: return simple(.int32)
            }
        case .long: return simple(schema.kind == .timestamp ? .timestamp : .long)
        case .float: return simple(.float)
        case .double: return simple(.double)
        case .bytes: return simple(schema.kind == .decimal ? .decimal : .bytes)
        case .string: return simple(.string)
        case .array(let items):
            guard schema.type == .array, let element = schema.valueSchema else { return generic() }
            return simple(.array, children: [make(data, element, items)], size: AvroBinary.minimumSize(items))
        case .map(let values):
            guard let vs = schema.valueSchema else { return generic() }
            return simple(.stringMap, children: [make(data, vs, values)])
        case .union(let branches):
            guard schema.name != AvroData.unionName || schema.type != .struct else { return generic() }
            return simple(.union, children: branches.map { b in
                if case .null = b { return nil }
                return make(data, schema, b)
            })
        case .named(let n):
            switch n.shape {
            case .record(let fields):
                guard schema.type == .struct else { return generic() }
                var indexes: [Int] = []
                var children: [AvroReadPlan?] = []
                for (i, f) in fields.enumerated() {
                    let index: Int? = i < schema.fields.count && schema.fields[i].name == f.name ? i : schema.field(f.name)?.index
                    guard let index else { return generic() }
                    indexes.append(index)
                    children.append(make(data, schema.fields[index].schema, f.type))
                }
                return simple(.record, children: children, fieldIndexes: indexes)
            case .enumeration(let symbols, _):
                return simple(.enumeration, symbols: symbols)
            case .fixed(let size, _):
                return simple(schema.kind == .decimal ? .fixedDecimal : .fixedBytes, size: size)
            }
        }
    }

    struct Input {
        let base: UnsafePointer<UInt8>
        let end: Int
        var position: Int

        @inline(__always) mutating func byte() throws(DataError) -> UInt8 {
            guard position < end else { throw DataError("the value ends early", byteOffset: position) }
            defer { position += 1 }
            return base[position]
        }

        @inline(__always) mutating func long() throws(DataError) -> Int64 {
            var z: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < end else { throw DataError("the value ends early", byteOffset: position) }
                let b = base[position]
                position += 1
                z |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                if shift > 63 { throw DataError("a varint longer than 10 bytes", byteOffset: position) }
            }
            return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
        }

        @inline(__always) mutating func span(_ n: Int) throws(DataError) -> UnsafeBufferPointer<UInt8> {
            guard n >= 0, n <= end - position else { throw DataError("a length of \(n) past the end", byteOffset: position) }
            defer { position += n }
            return UnsafeBufferPointer(start: base + position, count: n)
        }

        var zeroSizeItems = 0

        @inline(__always) mutating func length() throws(DataError) -> Int {
            let n = try long()
            guard n >= 0, n <= Int64(end - position) else { throw DataError("invalid length \(n)", byteOffset: position) }
            return Int(n)
        }

        /// A block count; items of `itemSize` bytes at least (0: they take none, and at most
        /// `AvroBinary.Reader.maxZeroSizeItems` of them are read per value).
        mutating func blockCount(itemSize: Int) throws(DataError) -> Int {
            var n = try long()
            if n < 0 {
                n = n == .min ? .max : -n
                _ = try long()
            }
            if itemSize > 0 {
                guard n <= Int64(end - position) else { throw DataError("invalid block count \(n)", byteOffset: position) }
            } else {
                guard n <= Int64(AvroBinary.Reader.maxZeroSizeItems - zeroSizeItems) else {
                    throw DataError("more than \(AvroBinary.Reader.maxZeroSizeItems) items that take no bytes", byteOffset: position)
                }
                zeroSizeItems += Int(n)
            }
            return Int(n)
        }
    }

    func read(_ r: inout Input, _ bytes: [UInt8], _ data: AvroData) throws(DataError) -> Value {
        switch op {
        case .boolean:
            let b = try r.byte()
            guard b <= 1 else { throw DataError("invalid boolean \(b)", byteOffset: r.position - 1) }
            return .boolean(b == 1)
        case .int32, .int8, .int16, .date, .time:
            let l = try r.long()
            guard let i = Int32(exactly: l) else { throw DataError("int out of range: \(l)", byteOffset: r.position) }
            return try AvroData.connectInt(i, schema?.kind ?? .int32)
        case .long: return .int64(try r.long())
        case .timestamp: return .timestamp(try r.long())
        case .float:
            let s = try r.span(4)
            return .float32(Float(bitPattern: UInt32(littleEndian: UnsafeRawPointer(s.baseAddress!).loadUnaligned(as: UInt32.self))))
        case .double:
            let s = try r.span(8)
            return .float64(Double(bitPattern: UInt64(littleEndian: UnsafeRawPointer(s.baseAddress!).loadUnaligned(as: UInt64.self))))
        case .bytes: return .bytes(Array(try r.span(try r.length())))
        case .decimal, .fixedDecimal:
            let s = try r.span(op == .decimal ? try r.length() : size)
            guard let first = s.first else { throw DataError("Zero length BigInteger") }
            if s.count <= 8 {
                var v: Int64 = first >= 0x80 ? -1 : 0
                for i in 0..<s.count { v = (v << 8) | Int64(s[i]) }
                return .decimal(BigDecimal(unscaled: BigInt(v), scale: schema?.decimalScale ?? 0))
            }
            return .decimal(BigDecimal(unscaled: BigInt(twosComplement: s), scale: schema?.decimalScale ?? 0))
        case .fixedBytes: return .bytes(Array(try r.span(size)))
        case .string: return .string(String(decoding: try r.span(try r.length()), as: UTF8.self))
        case .enumeration:
            let i = try r.long()
            guard i >= 0, i < Int64(symbols.count) else { throw DataError("no enum symbol \(i)", byteOffset: r.position) }
            return .string(symbols[Int(i)])
        case .union:
            let i = try r.long()
            guard i >= 0, i < Int64(children.count) else { throw DataError("union branch \(i) of \(children.count)", byteOffset: r.position) }
            guard let branch = unretained[Int(i)] else { return .null }
            return try Self.run(branch, &r, bytes, data)
        case .record:
            guard let schema else { return .null }
            if fieldsInOrder {
                var values: [Value] = []
                values.reserveCapacity(unretained.count)
                for i in 0..<unretained.count { values.append(try Self.run(unretained[i]!, &r, bytes, data)) }
                return .struct(Struct(unchecked: schema, values: values))
            }
            var values = [Value](repeating: .null, count: schema.fields.count)
            for i in 0..<unretained.count {
                values[fieldIndexes[i]] = try Self.run(unretained[i]!, &r, bytes, data)
            }
            return .struct(Struct(unchecked: schema, values: values))
        case .array:
            var out: [Value] = []
            let item = unretained[0]!
            while true {
                let n = try r.blockCount(itemSize: size)
                if n == 0 { break }
                out.reserveCapacity(out.count + min(n, r.end - r.position + 1))
                for _ in 0..<n { out.append(try Self.run(item, &r, bytes, data)) }
            }
            return .array(out)
        case .stringMap:
            var m = MapValue()
            let item = unretained[0]!
            while true {
                let n = try r.blockCount(itemSize: 1)
                if n == 0 { break }
                for _ in 0..<n {
                    let k = String(decoding: try r.span(try r.length()), as: UTF8.self)
                    m.entries.append(MapEntry(key: .string(k), value: try Self.run(item, &r, bytes, data)))
                }
            }
            return .map(m)
        case .generic:
            var reader = AvroBinary.Reader(bytes)
            reader.position = r.position
            do {
                let v = try data.read(&reader, avro, schema)
                r.position = reader.position
                return v
            } catch let e as DataError {
                throw e
            } catch let e as AvroDataError {
                throw DataError(e.message, byteOffset: e.byteOffset)
            } catch {
                throw DataError("\(error)")
            }
        }
    }

    /// Reads one value from `bytes[offset...]`; every byte must be used.
    func decode(_ bytes: [UInt8], from offset: Int, _ data: AvroData) throws(DataError) -> Value {
        try bytes.withUnsafeBufferPointer { (buffer) throws(DataError) -> Value in
            guard let base = buffer.baseAddress else { throw DataError("no bytes", byteOffset: 0) }
            var r = Input(base: base, end: buffer.count, position: offset)
            let v = try read(&r, bytes, data)
            if r.position != buffer.count { throw DataError("\(buffer.count - r.position) bytes left after the value", byteOffset: r.position) }
            return v
        }
    }
}
