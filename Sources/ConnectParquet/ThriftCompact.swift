/// Apache Thrift's compact protocol, the encoding of Parquet's footer and page headers: only the
/// writing side, only what Parquet's structures use (bare structs, no message envelope).
struct ThriftCompactWriter {
    var bytes: [UInt8] = []
    /// The previous field id of each open struct (field headers carry the id's delta).
    private var lastField: [Int16] = [0]

    enum FieldType: UInt8 {
        case boolTrue = 1, boolFalse = 2, i8 = 3, i16 = 4, i32 = 5, i64 = 6, double = 7, binary = 8, list = 9, set = 10, map = 11, `struct` = 12
    }

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func fieldHeader(_ id: Int16, _ type: FieldType) {
        let delta = Int(id) - Int(lastField[lastField.count - 1])
        if delta > 0, delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func i32(_ id: Int16, _ v: Int32) {
        fieldHeader(id, .i32)
        zigzag(Int64(v))
    }

    mutating func i64(_ id: Int16, _ v: Int64) {
        fieldHeader(id, .i64)
        zigzag(v)
    }

    mutating func bool(_ id: Int16, _ v: Bool) { fieldHeader(id, v ? .boolTrue : .boolFalse) }

    mutating func binary(_ id: Int16, _ v: [UInt8]) {
        fieldHeader(id, .binary)
        varint(UInt64(v.count))
        bytes += v
    }

    mutating func string(_ id: Int16, _ v: String) { binary(id, Array(v.utf8)) }

    /// A struct field: `body` writes its fields.
    mutating func `struct`(_ id: Int16, _ body: (inout ThriftCompactWriter) -> Void) {
        fieldHeader(id, .struct)
        structBody(body)
    }

    /// The fields of a struct and its stop byte (also a list element of struct type).
    mutating func structBody(_ body: (inout ThriftCompactWriter) -> Void) {
        lastField.append(0)
        body(&self)
        bytes.append(0)
        lastField.removeLast()
    }

    mutating func listHeader(_ id: Int16, count: Int, _ element: FieldType) {
        fieldHeader(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | element.rawValue)
        } else {
            bytes.append(0xF0 | element.rawValue)
            varint(UInt64(count))
        }
    }

    mutating func structList<T>(_ id: Int16, _ items: [T], _ body: (inout ThriftCompactWriter, T) -> Void) {
        listHeader(id, count: items.count, .struct)
        for item in items { structBody { body(&$0, item) } }
    }

    mutating func i32List(_ id: Int16, _ items: [Int32]) {
        listHeader(id, count: items.count, .i32)
        for v in items { zigzag(Int64(v)) }
    }

    mutating func stringList(_ id: Int16, _ items: [String]) {
        listHeader(id, count: items.count, .binary)
        for s in items {
            varint(UInt64(s.utf8.count))
            bytes += Array(s.utf8)
        }
    }

    /// Ends a top-level struct (the footer, a page header).
    mutating func stop() { bytes.append(0) }
}
