import ConnectKit

/// `numeric.mapping`: how JDBC NUMERIC columns become Connect types (Confluent's `NumericMapping`).
public enum NumericMapping: String, Sendable, CaseIterable {
    /// Always a Connect Decimal.
    case none
    /// Scale 0 and precision ≤ 18 → the smallest integer type that holds the precision.
    case precisionOnly = "precision_only"
    /// Precision ≤ 18: scale ≤ 0 → integer, scale > 0 → FLOAT64; larger precisions → Decimal.
    case bestFit = "best_fit"
    /// As `best_fit`, but any scale > 0 → FLOAT64 whatever the precision.
    case bestFitEagerDouble = "best_fit_eager_double"
}

/// How one result column becomes a Connect value (decided once per query from the column type).
enum ColumnReader: Sendable, Hashable {
    case boolean, int8, int16, int32, int64, float32, float64, string, bytes, date, time, timestamp
    case decimal(scale: Int32)

    /// The Connect schema of the column (optional when the column may be NULL), Confluent's
    /// `addFieldToSchema`; nil for a type Confluent skips (arrays, intervals, …).
    static func forColumn(_ column: SQLColumn, numericMapping: NumericMapping) -> (ColumnReader, Schema)? {
        let optional = column.nullable ?? true
        func s(_ b: SchemaBuilder) -> Schema { (optional ? b.optional() : b).buildUnchecked() }
        func integer(_ precision: Int) -> (ColumnReader, Schema) {
            precision > 9 ? (.int64, s(.int64())) : precision > 4 ? (.int32, s(.int32())) : precision > 2 ? (.int16, s(.int16())) : (.int8, s(.int8()))
        }
        func decimal(_ precision: Int, _ scale: Int) -> (ColumnReader, Schema) {
            let sc = Int32(scale)
            return (.decimal(scale: sc), s(SchemaBuilder.decimal(scale: sc).parameter("connect.decimal.precision", String(precision))))
        }
        switch column.type {
        case .boolean: return (.boolean, s(.bool()))
        case .tinyint: return (.int8, s(.int8()))
        case .smallint: return (.int16, s(.int16()))
        case .integer: return (.int32, s(.int32()))
        case .bigint: return (.int64, s(.int64()))
        case .unsignedBigint: return decimal(20, 0)
        case .real: return (.float32, s(.float32()))
        case .double: return (.float64, s(.float64()))
        case .numeric(let precision, let scale):
            switch numericMapping {
            case .none: break
            case .precisionOnly:
                if scale == 0 && precision <= 18 { return integer(precision) }
            case .bestFit:
                if precision <= 18 {
                    if scale < 1 && scale >= -84 { return integer(precision) }
                    if scale > 0 { return (.float64, s(.float64())) }
                }
            case .bestFitEagerDouble:
                if scale < 1 && scale >= -84 && precision <= 18 { return integer(precision) }
                if scale > 0 { return (.float64, s(.float64())) }
            }
            return decimal(precision, scale)
        case .decimal(let precision, let scale): return decimal(precision, scale)
        case .string: return (.string, s(.string()))
        case .bytes: return (.bytes, s(.bytes()))
        case .date: return (.date, s(.date()))
        case .time: return (.time, s(.time()))
        case .timestamp, .timestampWithZone: return (.timestamp, s(.timestamp()))
        case .other: return nil
        }
    }

    /// The Connect value of a cell. Throws a ``DataError`` naming the column when the database
    /// sent something the type cannot hold.
    func value(_ cell: SQLCell, column: String, temporal: SQLTemporal) throws(DataError) -> Value {
        if case .null = cell { return .null }
        func fail() -> DataError { DataError("Column \(column): cannot read \(cell) as \(self)") }
        func integer() throws(DataError) -> Int64 {
            switch cell {
            case .integer(let v): return v
            case .real(let d) where d.rounded(.towardZero) == d && abs(d) < 9.2e18: return Int64(d)
            case .text(let t):
                if let v = Int64(t) { return v }
                if t == "t" || t == "true" { return 1 }
                if t == "f" || t == "false" { return 0 }
                throw fail()
            case .bytes(let b) where b.count <= 8:
                // MySQL BIT(n) arrives as n bits, big-endian.
                return b.reduce(Int64(0)) { $0 << 8 | Int64($1) }
            default: throw fail()
            }
        }
        func double() throws(DataError) -> Double {
            switch cell {
            case .integer(let v): return Double(v)
            case .real(let d): return d
            case .text(let t):
                if let d = Double(t) { return d }
                switch t {
                case "NaN": return .nan
                case "Infinity": return .infinity
                case "-Infinity": return -.infinity
                default: throw fail()
                }
            default: throw fail()
            }
        }
        switch self {
        case .boolean: return .boolean(try integer() != 0)
        case .int8:
            guard let v = Int8(exactly: try integer()) else { throw fail() }
            return .int8(v)
        case .int16:
            guard let v = Int16(exactly: try integer()) else { throw fail() }
            return .int16(v)
        case .int32:
            guard let v = Int32(exactly: try integer()) else { throw fail() }
            return .int32(v)
        case .int64: return .int64(try integer())
        case .float32: return .float32(Float(try double()))
        case .float64: return .float64(try double())
        case .string:
            switch cell {
            case .text(let t): return .string(t)
            case .integer(let v): return .string(String(v))
            case .real(let d): return .string(String(d))
            case .bytes(let b): return .string(String(decoding: b, as: UTF8.self))
            case .null: return .null
            }
        case .bytes:
            switch cell {
            case .bytes(let b): return .bytes(b)
            case .text(let t): return .bytes(Array(t.utf8))
            default: throw fail()
            }
        case .decimal(let scale):
            let d: BigDecimal?
            switch cell {
            case .integer(let v): d = BigDecimal(unscaled: v, scale: 0)
            case .real(let r): d = BigDecimal(String(r))
            case .text(let t): d = BigDecimal(t)
            default: d = nil
            }
            guard let d else { throw fail() }
            guard let r = d.rescaled(to: scale) ?? BigDecimal.roundedHalfUp(d, to: scale) else { throw fail() }
            return .decimal(r)
        case .date:
            switch cell {
            case .integer(let millis): return .date(Int32(JavaCalendar.floorDiv(millis, 86_400_000)))
            case .text(let t):
                if let days = temporal.parseDate(t) { return .date(Int32(days)) }
                if let nanos = temporal.parseTimestamp(t) { return .date(Int32(JavaCalendar.floorDiv(nanos, 86_400_000_000_000))) }
                throw fail()
            default: throw fail()
            }
        case .time:
            switch cell {
            case .integer(let millis): return .time(Int32(millis % 86_400_000))
            case .text(let t):
                guard let nanos = temporal.parseTime(t) else { throw fail() }
                return .time(Int32(nanos / 1_000_000))
            default: throw fail()
            }
        case .timestamp:
            guard let nanos = try timestampNanos(cell, column: column, temporal: temporal) else { return .null }
            return .timestamp(JavaCalendar.floorDiv(nanos, 1_000_000))
        }
    }

    /// A timestamp cell in nanoseconds since the epoch (integers are epoch milliseconds, as
    /// sqlite-jdbc stores them), for offsets that keep sub-millisecond precision.
    func timestampNanos(_ cell: SQLCell, column: String, temporal: SQLTemporal) throws(DataError) -> Int64? {
        switch cell {
        case .null: return nil
        case .integer(let millis): return millis * 1_000_000
        case .real(let millis): return Int64(millis * 1_000_000)
        case .text(let t):
            guard let n = temporal.parseTimestamp(t) else { throw DataError("Column \(column): cannot read '\(t)' as a timestamp") }
            return n
        case .bytes: throw DataError("Column \(column): cannot read bytes as a timestamp")
        }
    }
}

extension BigDecimal {
    /// `value` at `scale`, rounding half up when digits are dropped (JDBC's `getBigDecimal(col, scale)`).
    static func roundedHalfUp(_ value: BigDecimal, to scale: Int32) -> BigDecimal? {
        guard scale < value.scale else { return value.rescaled(to: scale) }
        var text = value.plainString
        let negative = text.hasPrefix("-")
        if negative { text.removeFirst() }
        var digits = Array(text.utf8.filter { $0 != UInt8(ascii: ".") })
        let drop = Int(value.scale - scale)
        guard drop <= digits.count else { return BigDecimal(unscaled: 0, scale: scale) }
        let roundUp = digits[digits.count - drop] >= UInt8(ascii: "5")
        digits.removeLast(drop)
        if digits.isEmpty { digits = [UInt8(ascii: "0")] }
        if roundUp {
            var i = digits.count - 1
            while i >= 0 {
                if digits[i] == UInt8(ascii: "9") {
                    digits[i] = UInt8(ascii: "0")
                    i -= 1
                } else {
                    digits[i] += 1
                    break
                }
            }
            if i < 0 { digits.insert(UInt8(ascii: "1"), at: 0) }
        }
        guard let unscaled = BigInt((negative ? "-" : "") + String(decoding: digits, as: UTF8.self)) else { return nil }
        return BigDecimal(unscaled: unscaled, scale: scale)
    }
}

/// How the sink binds Connect values: the cell a value becomes for a database (Confluent's
/// `bindField`: SQLite's driver stores dates and times as epoch milliseconds, PostgreSQL and
/// MySQL take ISO text in `db.timezone`).
struct ValueBinder {
    let kind: JDBCURL.Kind
    let temporal: SQLTemporal

    func cell(_ value: Value, schema: Schema?, field: String) throws(DataError) -> SQLCell {
        switch value {
        case .null: return .null
        case .int8(let v): return .integer(Int64(v))
        case .int16(let v): return .integer(Int64(v))
        case .int32(let v):
            if schema?.name == LogicalType.dateName { return date(Int64(v)) }
            if schema?.name == LogicalType.timeName { return time(Int64(v)) }
            return .integer(Int64(v))
        case .int64(let v):
            if schema?.name == LogicalType.timestampName { return timestamp(v) }
            return .integer(v)
        case .float32(let v): return .real(Double(v))
        case .float64(let v): return .real(v)
        case .boolean(let b): return kind == .postgresql ? .text(b ? "true" : "false") : .integer(b ? 1 : 0)
        case .string(let s): return .text(s)
        case .bytes(let b): return .bytes(b)
        case .decimal(let d): return .text(d.plainString)
        case .date(let days): return date(Int64(days))
        case .time(let millis): return time(Int64(millis))
        case .timestamp(let millis): return timestamp(millis)
        case .array, .map, .struct:
            throw DataError("Field \(field): \(value.kindName) values have no SQL column type (Confluent's JDBC sink rejects them too); flatten them first (e.g. the Flatten transformation)")
        }
    }

    private func date(_ days: Int64) -> SQLCell {
        kind == .sqlite ? .integer(days * 86_400_000) : .text(temporal.formatDate(days: days))
    }

    private func time(_ millis: Int64) -> SQLCell {
        kind == .sqlite ? .integer(millis) : .text(temporal.formatTime(nanosOfDay: millis * 1_000_000))
    }

    private func timestamp(_ millis: Int64) -> SQLCell {
        // PostgreSQL gets the zone's offset too: a timestamptz column then stores the instant.
        kind == .sqlite ? .integer(millis) : .text(temporal.formatTimestamp(nanos: millis * 1_000_000, withOffset: kind == .postgresql))
    }
}
