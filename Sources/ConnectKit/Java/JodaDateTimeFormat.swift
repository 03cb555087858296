import Foundation

/// A time zone as Joda-Time's `DateTimeZone` (what Confluent's storage connectors use): `UTC`, a
/// fixed offset `±hh:mm` (also `±hh`, `±hhmm`), or a time zone database ID; with Joda's conversions
/// between UTC and local (wall clock) milliseconds.
package struct JodaZone: Sendable, Hashable {
    /// Joda's ID: `UTC`, `+05:30`, `America/New_York`.
    package let id: String
    private let fixedOffset: Int?
    private let zone: JavaTimeZone?

    package static let utc = JodaZone(id: "UTC", fixedOffset: 0, zone: nil)

    private init(id: String, fixedOffset: Int?, zone: JavaTimeZone?) {
        self.id = id
        self.fixedOffset = fixedOffset
        self.zone = zone
    }

    /// `DateTimeZone.forID`: nil for an ID neither Joda nor the time zone database knows.
    package init?(id: String) {
        if id == "UTC" || id == "Etc/UTC" || id == "GMT" {
            self = .utc
            return
        }
        if let first = id.first, first == "+" || first == "-" {
            guard let offset = JodaZone.parseOffset(id) else { return nil }
            if offset == 0 {
                self = .utc
                return
            }
            self.init(id: JodaZone.offsetText(offset, separators: true), fixedOffset: offset, zone: nil)
            return
        }
        guard let zone = JavaTimeZone(id: id) else { return nil }
        self.init(id: id, fixedOffset: nil, zone: zone)
    }

    /// `±hh`, `±hh:mm`, `±hhmm` (hours up to 23) in milliseconds.
    static func parseOffset(_ text: String) -> Int? {
        let u = Array(text.utf8)
        guard u.count >= 3, u[0] == 0x2B || u[0] == 0x2D else { return nil }
        func two(_ i: Int) -> Int? {
            guard i + 1 < u.count, (0x30...0x39).contains(u[i]), (0x30...0x39).contains(u[i + 1]) else { return nil }
            return Int(u[i] - 0x30) * 10 + Int(u[i + 1] - 0x30)
        }
        guard let hours = two(1), hours <= 23 else { return nil }
        var minutes = 0
        if u.count > 3 {
            let at = u[3] == 0x3A ? 4 : 3
            guard let m = two(at), m <= 59, at + 2 == u.count else { return nil }
            minutes = m
        }
        let millis = (hours * 60 + minutes) * 60_000
        return u[0] == 0x2D ? -millis : millis
    }

    /// `+05:30` / `+0530`.
    static func offsetText(_ millis: Int, separators: Bool) -> String {
        let minutes = abs(millis) / 60_000
        let hh = JavaTimeZone.twoDigits(minutes / 60), mm = JavaTimeZone.twoDigits(minutes % 60)
        return (millis < 0 ? "-" : "+") + hh + (separators ? ":" : "") + mm
    }

    /// The total offset (standard + daylight) at an instant, in milliseconds (`getOffset`).
    package func offset(atUTC millis: Int64) -> Int {
        if let fixedOffset { return fixedOffset }
        guard let zone else { return 0 }
        let o = zone.offsets(atUTC: millis)
        return o.raw + o.dst
    }

    /// Whether the instant is in standard time (`isStandardOffset`).
    func isStandard(atUTC millis: Int64) -> Bool {
        guard let zone else { return true }
        return zone.offsets(atUTC: millis).dst == 0
    }

    /// The next offset transition after an instant (`nextTransition`); the instant itself when none.
    func nextTransition(_ millis: Int64) -> Int64 {
        guard let zone = zone?.foundationZone else { return millis }
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        guard let next = zone.nextDaylightSavingTimeTransition(after: date) else { return millis }
        return Int64((next.timeIntervalSince1970 * 1000).rounded())
    }

    /// The latest offset transition at or before an instant, within `window` milliseconds (looked for
    /// only as far back as the callers need); nil when none.
    func previousTransition(_ millis: Int64, within window: Int64) -> Int64? {
        let next = nextTransition(millis - window - 1)
        return next > millis - window - 1 && next <= millis ? next : nil
    }

    /// The offset to subtract from a local time (`getOffsetFromLocal`): where a local time is
    /// ambiguous (clocks set back) the earlier instant, as Joda; in a gap the offset before it.
    package func offsetFromLocal(_ local: Int64) -> Int {
        let offsetLocal = offset(atUTC: local)
        let adjusted = local - Int64(offsetLocal)
        let offsetAdjusted = offset(atUTC: adjusted)
        if offsetLocal != offsetAdjusted {
            if offsetLocal - offsetAdjusted < 0 {
                var nextLocal = nextTransition(adjusted)
                if nextLocal == local - Int64(offsetLocal) { nextLocal = .max }
                var nextAdjusted = nextTransition(local - Int64(offsetAdjusted))
                if nextAdjusted == local - Int64(offsetAdjusted) { nextAdjusted = .max }
                if nextLocal != nextAdjusted { return offsetLocal }
            }
        } else if offsetLocal >= 0, let transition = previousTransition(adjusted, within: 3 * 3_600_000) {
            // Joda's previousTransition is the last instant before the transition.
            let prev = transition - 1
            let offsetPrev = offset(atUTC: prev)
            if prev < adjusted, adjusted - prev <= Int64(offsetPrev - offsetLocal) { return offsetPrev }
        }
        return offsetAdjusted
    }

    /// `convertUTCToLocal`.
    package func utcToLocal(_ millis: Int64) -> Int64 { millis + Int64(offset(atUTC: millis)) }

    /// `convertLocalToUTC(local, strict: false)`: a local time in a DST gap moves as Joda moves it
    /// (by the offset before the gap in the western hemisphere).
    package func localToUTC(_ local: Int64) -> Int64 {
        let offsetLocal = offset(atUTC: local)
        var offset = self.offset(atUTC: local - Int64(offsetLocal))
        if offsetLocal != offset, offsetLocal < 0 {
            var nextLocal = nextTransition(local - Int64(offsetLocal))
            if nextLocal == local - Int64(offsetLocal) { nextLocal = .max }
            var nextAdjusted = nextTransition(local - Int64(offset))
            if nextAdjusted == local - Int64(offset) { nextAdjusted = .max }
            if nextLocal != nextAdjusted { offset = offsetLocal }
        }
        return local - Int64(offset)
    }

    /// The start of the local day of an instant (`DateTime.withTimeAtStartOfDay`), as UTC milliseconds.
    package func startOfDay(_ millis: Int64) -> Int64 {
        let local = utcToLocal(millis)
        let midnight = JavaCalendar.floorDiv(local, 86_400_000) * 86_400_000
        var utc = localToUTC(midnight)
        // Midnight in a DST gap: Joda takes the first valid instant of the day.
        if utcToLocal(utc) < midnight || JavaCalendar.floorDiv(utcToLocal(utc), 86_400_000) != JavaCalendar.floorDiv(midnight, 86_400_000) {
            utc = nextTransition(utc - 1)
        }
        return utc
    }

    /// Joda's short or long name of the zone at an instant (`z`, `zzzz`): the JDK's English names; a
    /// fixed offset is its ID.
    func name(atUTC millis: Int64, long: Bool) -> String {
        if fixedOffset != nil, id != "UTC" { return id }
        if id == "UTC" { return long ? "Coordinated Universal Time" : "UTC" }
        guard let zone else { return id }
        let o = zone.offsets(atUTC: millis)
        return zone.displayName(daylight: o.dst != 0, long: long, totalOffset: o.raw + o.dst)
    }
}

/// A Joda-Time `DateTimeFormat.forPattern` pattern in the ISO chronology (proleptic Gregorian, ISO
/// weeks), for printing — what Confluent's `TimeBasedPartitioner` applies to a bucket's start
/// (`path.format`, e.g. `'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`).
///
/// Joda's letters: `G` era, `C` century of era, `Y` year of era, `x` week-year, `w` week of
/// week-year, `e` day of week (1 = Monday), `E` day of week text, `y` year, `D` day of year, `M`
/// month (3+: text), `d` day of month, `a` AM/PM, `K` hour of half day (0–11), `h` clock hour of half
/// day (1–12), `H` hour of day (0–23), `k` clock hour of day (1–24), `m`, `s`, `S` fraction of
/// second, `z` zone name, `Z` offset (`Z` +0800, `ZZ` +08:00, `ZZZ` zone ID); `'…'` quotes text, `''`
/// is a quote. Unlike `SimpleDateFormat`, `Y` is the year of era, not the week-based year. Texts are
/// English (Joda with `locale=en`).
package struct JodaDateTimeFormat: Sendable {
    enum Token: Sendable, Equatable {
        case literal(String)
        case field(Character, Int)
    }

    let tokens: [Token]

    /// Whether the pattern prints locale-dependent text (month or weekday names, AM/PM, eras, zone names).
    package var hasText: Bool {
        tokens.contains {
            guard case .field(let c, let n) = $0 else { return false }
            return c == "E" || c == "a" || c == "G" || c == "z" || (c == "M" && n >= 3)
        }
    }

    /// Parses a pattern.
    ///
    /// - Throws: `ConfigError`-ready text, Joda's `Illegal pattern component: <token>`, for a letter
    ///   Joda does not define.
    package init(pattern: String) throws(JodaPatternError) {
        var out: [Token] = []
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isASCII, c.isLetter {
                var n = 1
                while i + n < chars.count, chars[i + n] == c { n += 1 }
                guard "GCYxwyDMdaeEKhHkmsSzZ".contains(c) else {
                    throw JodaPatternError(message: "Illegal pattern component: " + String(repeating: c, count: n))
                }
                out.append(.field(c, n))
                i += n
            } else if c == "'" {
                if i + 1 < chars.count, chars[i + 1] == "'" {
                    out.append(.literal("'"))
                    i += 2
                    continue
                }
                var text = ""
                i += 1
                while i < chars.count {
                    if chars[i] == "'" {
                        if i + 1 < chars.count, chars[i + 1] == "'" {
                            text.append("'")
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    text.append(chars[i])
                    i += 1
                }
                out.append(.literal(text))
            } else {
                var text = ""
                while i < chars.count, !(chars[i].isASCII && chars[i].isLetter), chars[i] != "'" {
                    text.append(chars[i])
                    i += 1
                }
                out.append(.literal(text))
            }
        }
        tokens = out
    }

    /// The instant (UTC milliseconds) printed in `zone`.
    package func print(_ millis: Int64, zone: JodaZone) -> String {
        let offset = zone.offset(atUTC: millis)
        let local = millis + Int64(offset)
        let days = JavaCalendar.floorDiv(local, 86_400_000)
        let msOfDay = Int(local - days * 86_400_000)
        let (year, month, day) = JodaDateTimeFormat.civil(days)
        let dayOfWeek = Int(JavaCalendar.floorMod(days + 3, 7)) + 1  // 1970-01-01 was a Thursday (4)
        let dayOfYear = Int(days - JodaDateTimeFormat.daysFromCivil(year, 1, 1)) + 1
        let (weekYear, week) = JodaDateTimeFormat.isoWeek(days: days, year: year, dayOfWeek: dayOfWeek, dayOfYear: dayOfYear)
        let hour = msOfDay / 3_600_000
        let locale = JavaLocale.us
        var out = ""
        func pad(_ v: Int64, _ n: Int) {
            if v < 0 { out += "-" }
            let digits = String(v.magnitude)
            if digits.count < n { out += String(repeating: "0", count: n - digits.count) }
            out += digits
        }
        for token in tokens {
            switch token {
            case .literal(let text): out += text
            case .field(let c, let n):
                switch c {
                case "G": out += locale.eras[year > 0 ? 1 : 0]
                case "C": pad((year > 0 ? year : 1 - year) / 100, n)
                case "Y": n == 2 ? pad((year > 0 ? year : 1 - year) % 100, 2) : pad(year > 0 ? year : 1 - year, n)
                case "y": n == 2 ? pad(Int64(year.magnitude % 100), 2) : pad(year, n)
                case "x": n == 2 ? pad(Int64(weekYear.magnitude % 100), 2) : pad(weekYear, n)
                case "w": pad(Int64(week), n)
                case "e": pad(Int64(dayOfWeek), n)
                case "E":
                    let sundayFirst = dayOfWeek % 7
                    out += n >= 4 ? locale.weekdays[sundayFirst] : locale.shortWeekdays[sundayFirst]
                case "D": pad(Int64(dayOfYear), n)
                case "M":
                    if n >= 4 { out += locale.months[month - 1] } else if n == 3 { out += locale.shortMonths[month - 1] } else { pad(Int64(month), n) }
                case "d": pad(Int64(day), n)
                case "a": out += locale.amPm[hour < 12 ? 0 : 1]
                case "K": pad(Int64(hour % 12), n)
                case "h": pad(Int64(hour % 12 == 0 ? 12 : hour % 12), n)
                case "H": pad(Int64(hour), n)
                case "k": pad(Int64(hour == 0 ? 24 : hour), n)
                case "m": pad(Int64(msOfDay / 60_000 % 60), n)
                case "s": pad(Int64(msOfDay / 1000 % 60), n)
                case "S":
                    let ms = msOfDay % 1000
                    var digits = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
                    if n < 3 { digits = String(digits.prefix(n)) } else { digits += String(repeating: "0", count: n - 3) }
                    out += digits
                case "z": out += zone.name(atUTC: millis, long: n >= 4)
                case "Z": out += n >= 3 ? zone.id : JodaZone.offsetText(offset, separators: n == 2)
                default: break
                }
            }
        }
        return out
    }

    /// Proleptic Gregorian year, month (1–12) and day of a day count since 1970-01-01.
    static func civil(_ days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = JavaCalendar.floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(_ year: Int64, _ month: Int, _ day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = JavaCalendar.floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// ISO week-year and week (weeks start on Monday; week 1 holds the year's first Thursday).
    static func isoWeek(days: Int64, year: Int64, dayOfWeek: Int, dayOfYear: Int) -> (Int64, Int) {
        let thursday = days - Int64(dayOfWeek) + 4
        let (thursdayYear, _, _) = civil(thursday)
        let week = Int((thursday - daysFromCivil(thursdayYear, 1, 1)) / 7) + 1
        return (thursdayYear, week)
    }
}

/// A pattern Joda-Time rejects (`IllegalArgumentException`'s message).
package struct JodaPatternError: Error, Sendable, Equatable {
    package let message: String
}
