/// Java's `java.text.SimpleDateFormat` — every pattern letter (`G y Y M L w W D d F E u a H k K h m
/// s S z Z X`), quoting, the Julian calendar before 1582-10-15, eras, week years, time zones and the
/// English locales' texts — formatting and lenient parsing exactly as the JDK does (checked against
/// thousands of randomized cases made by the JDK, `scripts/gen-java-date-vectors.sh`).
///
/// Kafka's `TimestampConverter` and `TimestampRouter` use it in UTC; Kafka's `Values` (header dates)
/// and `Date.toString` in the JVM's default zone.
package struct JavaDateFormat: Sendable {
    package enum Token: Sendable, Equatable {
        case literal(String)
        case field(Character, Int)
    }

    package let pattern: String
    package let tokens: [Token]
    package let zone: JavaTimeZone
    /// Whether the pattern shows nothing finer than a day (one day formats the same throughout),
    /// in a zone whose offset never changes (UTC). Computed once.
    package let isDayResolution: Bool
    package let locale: JavaLocale
    /// Where the 100 years that two-digit years (`yy`) parse into start, in milliseconds since the
    /// epoch: as Java sets it, the moment the format was made less 80 years.
    package let defaultCenturyStart: Int64

    /// The letters `SimpleDateFormat` knows.
    static let letters: Set<Character> = Set("GyMdkHmsSEDFwWahKzZYuXL")

    /// Compiles a pattern as `SimpleDateFormat` does.
    /// - Throws: ``JavaRuntimeError`` `java.lang.IllegalArgumentException` with Java's message
    ///   ("Illegal pattern character 'b'", "Unterminated quote", "invalid ISO 8601 format: length=4").
    package init(_ pattern: String, zone: JavaTimeZone = .utc, locale: JavaLocale = .us) throws(JavaRuntimeError) {
        self.pattern = pattern
        self.zone = zone
        self.locale = locale
        defaultCenturyStart = Self.eightyYearsBefore(wallClockMillisecondsNow(), zone: zone)
        var tokens: [Token] = []
        let chars = Array(pattern)
        var i = 0
        var literal = ""
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = ""
        }
        while i < chars.count {
            let c = chars[i]
            if c == "'" {
                if i + 1 < chars.count, chars[i + 1] == "'" {
                    literal.append("'")
                    i += 2
                    continue
                }
                i += 1
                var closed = false
                while i < chars.count {
                    if chars[i] == "'" {
                        if i + 1 < chars.count, chars[i + 1] == "'" {
                            literal.append("'")
                            i += 2
                            continue
                        }
                        closed = true
                        i += 1
                        break
                    }
                    literal.append(chars[i])
                    i += 1
                }
                guard closed else { throw .illegalArgument("Unterminated quote") }
            } else if c.isASCII, c.isLetter {
                guard Self.letters.contains(c) else { throw .illegalArgument("Illegal pattern character '\(c)'") }
                var n = 1
                while i + n < chars.count, chars[i + n] == c { n += 1 }
                if c == "X" && n > 3 { throw .illegalArgument("invalid ISO 8601 format: length=\(n)") }
                flush()
                tokens.append(.field(c, n))
                i += n
            } else {
                literal.append(c)
                i += 1
            }
        }
        flush()
        self.tokens = tokens
        self.isDayResolution = zone == .utc && tokens.allSatisfy { t in
            if case .field(let c, _) = t { return "GyYMLdDEFuwW".contains(c) }
            return true
        }
    }

    /// `Calendar.add(YEAR, -80)`: the same wall-clock time 80 years earlier (the 29th of February
    /// becomes the 28th when that year has none).
    static func eightyYearsBefore(_ millis: Int64, zone: JavaTimeZone) -> Int64 {
        let f = JavaCalendarFields(millis: millis, zone: zone, locale: .us)
        let year = (f.era == 1 ? f.year : 1 - f.year) - 80
        let month = Int64(f.month) + 1
        let length = JavaCalendar.fixed(year: year, month: month + 1, day: 1) - JavaCalendar.fixed(year: year, month: month, day: 1)
        let fixed = JavaCalendar.fixed(year: year, month: month, day: min(Int64(f.dayOfMonth), length))
        let msOfDay = Int64(((f.hourOfDay * 60 + f.minute) * 60 + f.second) * 1000 + f.millisecond)
        let local = (fixed - JavaCalendar.epochFixed) * 86_400_000 + msOfDay
        let (raw, dst) = zone.offsets(atWall: local)
        return local - Int64(raw + dst)
    }

    // MARK: Formatting

    /// Formats milliseconds since the epoch.
    package func format(_ millis: Int64) -> String {
        let f = JavaCalendarFields(millis: millis, zone: zone, locale: locale)
        var out = ""
        for t in tokens {
            switch t {
            case .literal(let l): out += l
            case .field(let c, let n): append(c, n, f, &out)
            }
        }
        return out
    }

    /// Java's `zeroPaddingNumber`: at least `minDigits` digits; with `maxDigits` 2, the last two.
    private static func number(_ value: Int64, _ minDigits: Int, maxDigits: Int = .max, _ out: inout String) {
        var magnitude = value.magnitude
        if maxDigits == 2 { magnitude %= 100 }  // DecimalFormat keeps the last two digits, and the sign
        if value < 0 { out += "-" }
        let digits = String(magnitude)
        if digits.count < minDigits { out += String(repeating: "0", count: minDigits - digits.count) }
        out += digits
    }

    private func append(_ c: Character, _ n: Int, _ f: JavaCalendarFields, _ out: inout String) {
        switch c {
        case "G": out += locale.eras[f.era]
        case "y": n == 2 ? Self.number(f.year, 2, maxDigits: 2, &out) : Self.number(f.year, n, &out)
        case "Y": n == 2 ? Self.number(f.weekYear, 2, maxDigits: 2, &out) : Self.number(f.weekYear, n, &out)
        case "M":
            if n >= 4 { out += locale.months[f.month] } else if n == 3 { out += locale.shortMonths[f.month] } else {
                Self.number(Int64(f.month + 1), n, &out)
            }
        case "L":
            if n >= 4 { out += locale.standaloneMonths[f.month] } else if n == 3 { out += locale.standaloneShortMonths[f.month] } else {
                Self.number(Int64(f.month + 1), n, &out)
            }
        case "d": Self.number(Int64(f.dayOfMonth), n, &out)
        case "k": Self.number(Int64(f.hourOfDay == 0 ? 24 : f.hourOfDay), n, &out)
        case "H": Self.number(Int64(f.hourOfDay), n, &out)
        case "m": Self.number(Int64(f.minute), n, &out)
        case "s": Self.number(Int64(f.second), n, &out)
        case "S": Self.number(Int64(f.millisecond), n, &out)
        case "E": out += n >= 4 ? locale.weekdays[f.dayOfWeek - 1] : locale.shortWeekdays[f.dayOfWeek - 1]
        case "u": Self.number(Int64(f.dayOfWeek == 1 ? 7 : f.dayOfWeek - 1), n, &out)
        case "D": Self.number(Int64(f.dayOfYear), n, &out)
        case "F": Self.number(Int64(f.dayOfWeekInMonth), n, &out)
        case "w": Self.number(Int64(f.weekOfYear), n, &out)
        case "W": Self.number(Int64(f.weekOfMonth), n, &out)
        case "a": out += locale.amPm[f.hourOfDay < 12 ? 0 : 1]
        case "h": Self.number(Int64(f.hourOfDay % 12 == 0 ? 12 : f.hourOfDay % 12), n, &out)
        case "K": Self.number(Int64(f.hourOfDay % 12), n, &out)
        case "z": out += zone.displayName(daylight: f.dstOffset != 0, long: n >= 4, totalOffset: f.zoneOffset + f.dstOffset, locale: locale)
        case "Z":
            let minutes = (f.zoneOffset + f.dstOffset) / 60_000
            out += minutes < 0 ? "-" : "+"
            let m = abs(minutes)
            Self.number(Int64(m / 60 * 100 + m % 60), 4, &out)
        case "X":
            let total = f.zoneOffset + f.dstOffset
            if total == 0 {
                out += "Z"
                return
            }
            let minutes = total / 60_000
            out += minutes < 0 ? "-" : "+"
            let m = abs(minutes)
            Self.number(Int64(m / 60), 2, &out)
            if n == 1 { return }
            if n == 3 { out += ":" }
            Self.number(Int64(m % 60), 2, &out)
        default: break
        }
    }
}

/// Java's `java.util.Date.toString()`: `EEE MMM dd HH:mm:ss zzz yyyy` in the JVM's default zone,
/// with English names whatever the locale — what `Struct.toString` prints for Date, Time and
/// Timestamp fields (and so what FileStreamSink writes).
package enum JavaDate {
    package static func toString(_ millis: Int64, zone: JavaTimeZone = .default) -> String {
        let us = JavaLocale.us
        let f = JavaCalendarFields(millis: millis, zone: zone, locale: us)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let name = zone.displayName(daylight: f.dstOffset != 0, long: false, totalOffset: f.zoneOffset + f.dstOffset, locale: us)
        // The year of the era, without the era (1 BC prints as 1).
        return "\(us.shortWeekdays[f.dayOfWeek - 1]) \(us.shortMonths[f.month]) \(two(f.dayOfMonth)) "
            + "\(two(f.hourOfDay)):\(two(f.minute)):\(two(f.second)) \(name) \(f.year)"
    }
}
