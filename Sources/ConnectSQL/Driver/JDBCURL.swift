public import ConnectKit

/// A JDBC `connection.url`, parsed: which database, where, and the URL's properties.
///
/// Accepted forms (as the JDBC drivers accept them):
/// - `jdbc:sqlite:<path>`, `jdbc:sqlite::memory:`, `jdbc:sqlite:file:<path>?…`
/// - `jdbc:postgresql://host[:port]/database?user=…&password=…&sslmode=…&connectTimeout=…`
///   (port 5432 by default; `jdbc:postgresql:database` means localhost)
/// - `jdbc:mysql://host[:port]/database?user=…&password=…` and `jdbc:mariadb://…` (port 3306)
///
/// A password in the URL is kept as a ``Password`` and never shown: ``description`` prints the
/// URL with `password=[hidden]`.
public struct JDBCURL: Sendable, Hashable, CustomStringConvertible {
    /// The database family.
    public enum Kind: String, Sendable, Hashable {
        /// SQLite (linked).
        case sqlite
        /// PostgreSQL (libpq).
        case postgresql
        /// MySQL or MariaDB (libmariadb).
        case mysql
    }

    /// The database family.
    public var kind: Kind
    /// The host (nil for SQLite).
    public var host: String?
    /// The port (nil for SQLite).
    public var port: Int?
    /// The database name, or SQLite's file path (`:memory:` for an in-memory database).
    public var database: String
    /// The URL's properties except `user` and `password`, in order.
    public var properties: [(key: String, value: String)]
    /// `user` from the URL.
    public var user: String?
    /// `password` from the URL.
    public var password: Password?

    public static func == (a: JDBCURL, b: JDBCURL) -> Bool { a.description == b.description && a.password == b.password }
    public func hash(into h: inout Hasher) { h.combine(description) }

    /// Where the URL points, for messages: `postgresql://127.0.0.1:5432/shop`, `sqlite:/data/app.db`.
    public var location: String {
        switch kind {
        case .sqlite: "sqlite:\(database)"
        case .postgresql, .mysql: "\(kind.rawValue)://\(host ?? "localhost"):\(port ?? 0)/\(database)"
        }
    }

    public var description: String {
        var text = "jdbc:"
        switch kind {
        case .sqlite: text += "sqlite:\(database)"
        case .postgresql, .mysql: text += "\(kind.rawValue)://\(host ?? "localhost"):\(port ?? 0)/\(database)"
        }
        var query = properties.map { "\($0.key)=\($0.value)" }
        if let user { query.insert("user=\(user)", at: 0) }
        if password != nil { query.append("password=\(Password.hidden)") }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    /// The value of a URL property (case-sensitive, as the drivers read them).
    public func property(_ key: String) -> String? { properties.last(where: { $0.key == key })?.value }

    /// Parses a JDBC URL.
    /// - Throws: ``SQLError`` of kind `configuration` naming the URL (password hidden) and what is wrong.
    public init(_ url: String) throws(SQLError) {
        let shown = JDBCURL.hidingPassword(url)
        func bad(_ why: String) -> SQLError {
            SQLError(.configuration, "Invalid connection.url '\(shown)': \(why)", location: shown)
        }
        guard url.hasPrefix("jdbc:") else { throw bad("it must start with 'jdbc:' (e.g. jdbc:postgresql://host:5432/db)") }
        let rest = url.dropFirst(5)
        if rest.hasPrefix("sqlite:") {
            var path = String(rest.dropFirst(7))
            var props: [(key: String, value: String)] = []
            if path.hasPrefix("file:") {
                path.removeFirst(5)
                if let q = path.firstIndex(of: "?") {
                    props = JDBCURL.parseQuery(path[path.index(after: q)...])
                    path = String(path[..<q])
                }
            }
            guard !path.isEmpty else { throw bad("no database file (use jdbc:sqlite:/path/to/file.db or jdbc:sqlite::memory:)") }
            self.init(kind: .sqlite, host: nil, port: nil, database: path, properties: props)
            return
        }
        let kind: Kind
        var body: Substring
        if rest.hasPrefix("postgresql:") {
            kind = .postgresql
            body = rest.dropFirst(11)
        } else if rest.hasPrefix("mysql:") {
            kind = .mysql
            body = rest.dropFirst(6)
        } else if rest.hasPrefix("mariadb:") {
            kind = .mysql
            body = rest.dropFirst(8)
        } else {
            let sub = rest.prefix(while: { $0 != ":" })
            throw bad("unsupported database '\(sub)' (supported: sqlite, postgresql, mysql, mariadb)")
        }
        var props: [(key: String, value: String)] = []
        if let q = body.firstIndex(of: "?") {
            props = JDBCURL.parseQuery(body[body.index(after: q)...])
            body = body[..<q]
        }
        let defaultPort = kind == .postgresql ? 5432 : 3306
        var host = "localhost"
        var port = defaultPort
        var database: Substring
        if body.hasPrefix("//") {
            body = body.dropFirst(2)
            let authority = body.prefix(while: { $0 != "/" })
            database = body.dropFirst(authority.count).drop(while: { $0 == "/" })
            // Several hosts (failover lists) are accepted; the first is used.
            let first = authority.split(separator: ",").first ?? ""
            if !first.isEmpty {
                if first.hasPrefix("[") {
                    guard let close = first.firstIndex(of: "]") else { throw bad("unterminated IPv6 address") }
                    host = String(first[first.index(after: first.startIndex)..<close])
                    let after = first[first.index(after: close)...]
                    if after.hasPrefix(":") {
                        guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw bad("invalid port '\(after.dropFirst())'") }
                        port = p
                    }
                } else if let colon = first.lastIndex(of: ":") {
                    host = String(first[..<colon])
                    let p = first[first.index(after: colon)...]
                    guard let n = Int(p), (1...65535).contains(n) else { throw bad("invalid port '\(p)'") }
                    port = n
                } else {
                    host = String(first)
                }
            }
        } else {
            database = body
        }
        guard !database.isEmpty || kind == .mysql else { throw bad("no database name (e.g. jdbc:postgresql://localhost:5432/mydb)") }
        self.init(kind: kind, host: host, port: port, database: String(database), properties: props)
    }

    private init(kind: Kind, host: String?, port: Int?, database: String, properties: [(key: String, value: String)]) {
        self.kind = kind
        self.host = host
        self.port = port
        self.database = JDBCURL.percentDecoded(database)
        var rest: [(key: String, value: String)] = []
        for (k, v) in properties {
            switch k {
            case "user": user = v
            case "password": password = Password(v)
            default: rest.append((k, v))
            }
        }
        self.properties = rest
    }

    static func parseQuery(_ query: Substring) -> [(key: String, value: String)] {
        query.split(whereSeparator: { $0 == "&" || $0 == ";" }).map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecoded(String(kv[0])), kv.count > 1 ? percentDecoded(String(kv[1])) : "")
        }
    }

    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "%"), utf8.count >= 2, let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The URL with any `password=` value replaced by `[hidden]` (for messages about a URL that
    /// did not parse).
    public static func hidingPassword(_ url: String) -> String {
        guard let match = url.firstRange(of: "password=") else { return url }
        let end = url[match.upperBound...].firstIndex(where: { $0 == "&" || $0 == ";" }) ?? url.endIndex
        return String(url[..<match.upperBound]) + Password.hidden + String(url[end...])
    }
}
