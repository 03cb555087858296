/// A value SQLite stores: its five storage classes.
public enum SQLiteValue: Sendable, Hashable, CustomStringConvertible {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// An 8-byte IEEE floating point number.
    case real(Double)
    /// Text (stored as UTF-8).
    case text(String)
    /// Bytes, as given.
    case blob([UInt8])

    /// The text of a `text` value, nil otherwise.
    public var text: String? { if case .text(let s) = self { return s }; return nil }
    /// The number of an `integer` value, nil otherwise.
    public var integer: Int64? { if case .integer(let i) = self { return i }; return nil }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .text(let s): "'" + s + "'"
        case .blob(let b): "x'" + b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() + "'"
        }
    }
}

/// A result column: its name and the type its table declared (`INTEGER`, `VARCHAR(20)`, …; nil
/// for an expression).
public struct SQLiteColumn: Sendable, Hashable {
    /// The column's name (or the `AS` alias).
    public var name: String
    /// The type the table declared for it (`INTEGER`, `VARCHAR(20)`); nil for an expression.
    public var declaredType: String?

    /// A column.
    public init(name: String, declaredType: String?) {
        self.name = name
        self.declaredType = declaredType
    }
}

/// The rows a query returned, with its columns.
public struct SQLiteRows: Sendable, Hashable {
    /// The result's columns, in order.
    public var columns: [SQLiteColumn]
    /// One array of values per row, in column order.
    public var rows: [[SQLiteValue]]

    /// A result.
    public init(columns: [SQLiteColumn], rows: [[SQLiteValue]]) {
        self.columns = columns
        self.rows = rows
    }
}
