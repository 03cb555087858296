import ConnectKit
import Synchronization

/// Java's `SimpleDateFormat` for formatting and parsing in UTC with the pattern letters connector
/// configs use: `y M d H h m s S E a Z X z` and quoted literals.
struct JavaDateFormat: Sendable {
    enum Token: Sendable, Equatable {
        case literal(String)
        case field(Character, Int)
    }

    let pattern: String
    let tokens: [Token]
    /// Whether the format shows nothing finer than a day (so one day formats the same throughout).
    let isDayResolution: Bool

    init(_ pattern: String, key: String) throws(ConfigError) {
        self.pattern = pattern
        var tokens: [Token] = []
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "'" {
                var lit = ""
                i += 1
                if i < chars.count, chars[i] == "'" {
                    tokens.append(.literal("'"))
                    i += 1
                    continue
                }
                while i < chars.count {
                    if chars[i] == "'" {
                        if i + 1 < chars.count, chars[i + 1] == "'" {
                            lit.append("'")
                            i += 2
                            continue
                        }
                        break
                    }
                    lit.append(chars[i])
                    i += 1
                }
                guard i < chars.count else { throw ConfigError(key: key, message: "Invalid value \(pattern) for configuration \(key): Unterminated quote") }
                i += 1
                tokens.append(.literal(lit))
            } else if c.isLetter, c.isASCII {
                guard "GyYMLwWDdFEuaHkKhmsSzZX".contains(c) else {
                    throw ConfigError(key: key, message: "Invalid value \(pattern) for configuration \(key): Illegal pattern character '\(c)'")
                }
                var n = 1
                while i + n < chars.count, chars[i + n] == c { n += 1 }
                tokens.append(.field(c, n))
                i += n
            } else {
                tokens.append(.literal(String(c)))
                i += 1
            }
        }
        self.tokens = tokens
        isDayResolution = tokens.allSatisfy { t in
            if case .field(let c, _) = t { return "yYuMLdDEG".contains(c) }
            return true
        }
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Formats milliseconds since the epoch (UTC).
    func format(_ millis: Int64) -> String {
        let dayNumber = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let msOfDay = millis - dayNumber * 86_400_000
        let (year, month, day) = CivilTime.civil(fromDays: dayNumber)
        let hour = Int(msOfDay / 3_600_000), minute = Int(msOfDay / 60_000 % 60), second = Int(msOfDay / 1000 % 60), ms = Int(msOfDay % 1000)
        let weekday = Int(((dayNumber % 7) + 7 + 3) % 7)  // 1970-01-01 was a Thursday
        var out = ""
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v.magnitude)
            return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, n - s.count)) + s
        }
        for t in tokens {
            switch t {
            case .literal(let l): out += l
            case .field(let c, let n):
                switch c {
                case "y", "Y", "u": out += n == 2 ? pad(Int64(year % 100), 2) : pad(year, n)
                case "M", "L":
                    if n >= 4 { out += Self.months[month - 1] } else if n == 3 { out += String(Self.months[month - 1].prefix(3)) } else { out += pad(Int64(month), n) }
                case "d": out += pad(Int64(day), n)
                case "H": out += pad(Int64(hour), n)
                case "k": out += pad(Int64(hour == 0 ? 24 : hour), n)
                case "K": out += pad(Int64(hour % 12), n)
                case "h": out += pad(Int64(hour % 12 == 0 ? 12 : hour % 12), n)
                case "m": out += pad(Int64(minute), n)
                case "s": out += pad(Int64(second), n)
                case "S": out += pad(Int64(ms), n)
                case "E": out += n >= 4 ? Self.days[weekday] : String(Self.days[weekday].prefix(3))
                case "a": out += hour < 12 ? "AM" : "PM"
                case "Z": out += "+0000"
                case "X": out += "Z"
                case "z": out += n >= 4 ? "Coordinated Universal Time" : "UTC"
                case "D": out += pad(dayNumber - CivilTime.days(year: year, month: 1, day: 1) + 1, n)
                default: out += ""
                }
            }
        }
        return out
    }

    /// Parses text in this format (UTC), like `SimpleDateFormat.parse` (lenient about trailing text).
    func parse(_ text: String) -> Int64? {
        let chars = Array(text)
        var i = 0
        var year: Int64 = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, ms = 0, pm: Bool? = nil
        var offsetMinutes = 0
        func number(_ maxDigits: Int) -> Int64? {
            var sign: Int64 = 1
            if i < chars.count, chars[i] == "-" || chars[i] == "+" {
                sign = chars[i] == "-" ? -1 : 1
                i += 1
            }
            var v: Int64 = 0
            var n = 0
            while i < chars.count, n < maxDigits, let d = chars[i].wholeNumberValue, chars[i].isASCII {
                v = v * 10 + Int64(d)
                i += 1
                n += 1
            }
            return n == 0 ? nil : sign * v
        }
        for (index, t) in tokens.enumerated() {
            // A numeric field followed directly by another numeric field takes exactly its width.
            let adjacent: Bool = {
                guard index + 1 < tokens.count, case .field(let next, _) = tokens[index + 1] else { return false }
                return "yMdHhKkmsSD".contains(next)
            }()
            switch t {
            case .literal(let l):
                for c in l {
                    guard i < chars.count, chars[i] == c else { return nil }
                    i += 1
                }
            case .field(let c, let n):
                let width = adjacent ? n : 20
                switch c {
                case "y", "Y", "u": guard let v = number(adjacent ? n : 9) else { return nil }; year = (n == 2 && v < 100) ? 2000 + v : v
                case "M", "L":
                    if n >= 3 {
                        guard let idx = Self.months.firstIndex(where: { m in
                            let name = n >= 4 ? m : String(m.prefix(3))
                            return String(chars[i...].prefix(name.count)).lowercased() == name.lowercased()
                        }) else { return nil }
                        i += n >= 4 ? Self.months[idx].count : 3
                        month = idx + 1
                    } else {
                        guard let v = number(width) else { return nil }; month = Int(v)
                    }
                case "d": guard let v = number(width) else { return nil }; day = Int(v)
                case "H", "k": guard let v = number(width) else { return nil }; hour = Int(v) % 24
                case "h", "K": guard let v = number(width) else { return nil }; hour = Int(v) % 12
                case "m": guard let v = number(width) else { return nil }; minute = Int(v)
                case "s": guard let v = number(width) else { return nil }; second = Int(v)
                case "S": guard let v = number(width) else { return nil }; ms = Int(v)
                case "E":
                    guard let name = Self.days.first(where: { String(chars[i...].prefix($0.count)) == $0 || String(chars[i...].prefix(3)) == String($0.prefix(3)) }) else { return nil }
                    i += String(chars[i...].prefix(name.count)) == name ? name.count : 3
                case "a":
                    let s = String(chars[i...].prefix(2)).uppercased()
                    guard s == "AM" || s == "PM" else { return nil }
                    pm = s == "PM"
                    i += 2
                case "Z", "X":
                    if i < chars.count, chars[i] == "Z" {
                        i += 1
                    } else {
                        guard i < chars.count, chars[i] == "+" || chars[i] == "-" else { return nil }
                        let sign = chars[i] == "-" ? -1 : 1
                        i += 1
                        guard let hh = number(2) else { return nil }
                        if i < chars.count, chars[i] == ":" { i += 1 }
                        let mm = number(2) ?? 0
                        offsetMinutes = sign * Int(hh * 60 + mm)
                    }
                case "z":
                    if String(chars[i...].prefix(3)) == "UTC" || String(chars[i...].prefix(3)) == "GMT" { i += 3 } else { return nil }
                default: return nil
                }
            }
        }
        if let pm { hour = hour % 12 + (pm ? 12 : 0) }
        // Lenient like SimpleDateFormat: out-of-range months and days roll over.
        let y = year + Int64((month - 1) >= 0 ? (month - 1) / 12 : (month - 12) / 12)
        let mo = ((month - 1) % 12 + 12) % 12 + 1
        let days = CivilTime.days(year: y, month: mo, day: 1) + Int64(day - 1)
        return days * 86_400_000 + Int64(hour) * 3_600_000 + Int64(minute) * 60_000 + Int64(second) * 1000 + Int64(ms) - Int64(offsetMinutes) * 60_000
    }
}

/// Remembers the last formatted day so that a batch of records from one day formats once.
final class LastFormatted: Sendable {
    private let last = Mutex<(day: Int64, text: String)?>(nil)

    func get(_ millis: Int64, _ format: JavaDateFormat) -> String {
        let day = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        if format.isDayResolution, let (d, t) = last.withLock({ $0 }), d == day { return t }
        let text = format.format(millis)
        if format.isDayResolution { last.withLock { $0 = (day, text) } }
        return text
    }
}



/// The last topic TimestampRouter produced, for the next record of the same topic and day.
final class LastRoute: Sendable {
    private let last = Mutex<(topic: String, day: Int64, routed: String)?>(nil)

    private static func day(_ ms: Int64) -> Int64 { ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000 }

    func hit(_ topic: String, _ ms: Int64, _ format: JavaDateFormat) -> String? {
        guard format.isDayResolution else { return nil }
        let day = Self.day(ms)
        return last.withLock { l in
            guard let l, l.day == day, l.topic == topic else { return nil }
            return l.routed
        }
    }

    func remember(_ topic: String, _ ms: Int64, _ routed: String, _ format: JavaDateFormat) {
        guard format.isDayResolution else { return }
        last.withLock { $0 = (topic, Self.day(ms), routed) }
    }
}
