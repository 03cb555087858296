/// Joda-Time's `ISODateTimeFormat.dateTimeParser().parseMillis(text)`, which Confluent's
/// `RecordFieldTimestampExtractor` applies to a string field that is not all digits.
///
/// Accepts what Joda accepts: a date (`yyyy[-MM[-dd]]`, `xxxx-Www[-e]` or `yyyy-DDD`, years signed
/// with up to 9 digits, fields with fewer digits too) optionally followed by `T` and a time
/// (`HH[:mm[:ss[.fraction]]]`, or a fraction of the hour or minute, `.` or `,`), or a time alone
/// (`T…`, on 1970-01-01); then an optional offset (`Z`, `±hh`, `±hh:mm`, `±hhmm`, with seconds and
/// milliseconds). Of alternatives the longest parse wins, as Joda's. Fields out of range (a 30th of
/// February, hour 24) fail, and so does a local time the zone skips (a DST gap); an ambiguous one is
/// the earlier instant.
package enum JodaISODateTimeParser {
    /// Milliseconds since the epoch, or nil when Joda would throw. A text without an offset is in `zone`.
    package static func parseMillis(_ text: String, zone: JodaZone) -> Int64? {
        let u = Array(text.utf8)
        let time = parseTimeAlternative(u, 0)
        let date = parseDateOptionalTime(u, 0)
        // The longest parse wins; the first on a tie.
        var best: Fields?
        for candidate in [time, date] {
            if let c = candidate, c.end > (best?.end ?? -1) { best = c }
        }
        guard let f = best, f.end == u.count else { return nil }
        return f.millis(zone: zone)
    }

    struct Fields {
        var end = 0
        var year: Int64?
        var month: Int?
        var day: Int?
        var weekYear: Int64?
        var week: Int?
        var dayOfWeek: Int?
        var dayOfYear: Int?
        var hour: Int?
        var minute: Int?
        var second: Int?
        /// Milliseconds within the last time unit parsed (a fraction of the hour, minute or second).
        var fraction: Int64 = 0
        var offset: Int?

        func millis(zone: JodaZone) -> Int64? {
            var days: Int64 = 0
            if let year {
                guard year >= -292_275_054, year <= 292_278_993 else { return nil }
                if let dayOfYear {
                    guard dayOfYear >= 1, dayOfYear <= (Fields.isLeap(year) ? 366 : 365) else { return nil }
                    days = JodaDateTimeFormat.daysFromCivil(year, 1, 1) + Int64(dayOfYear - 1)
                } else {
                    let m = month ?? 1
                    guard m >= 1, m <= 12 else { return nil }
                    let d = day ?? 1
                    guard d >= 1, d <= Fields.daysIn(year, m) else { return nil }
                    days = JodaDateTimeFormat.daysFromCivil(year, m, d)
                }
            } else if let weekYear, let week {
                guard weekYear >= -292_275_054, weekYear <= 292_278_993 else { return nil }
                let dow = dayOfWeek ?? 1
                guard dow >= 1, dow <= 7 else { return nil }
                // Monday of week 1: the Monday on or before January 4th.
                let jan4 = JodaDateTimeFormat.daysFromCivil(weekYear, 1, 4)
                let jan4Dow = Int(JavaCalendar.floorMod(jan4 + 3, 7)) + 1
                let week1 = jan4 - Int64(jan4Dow - 1)
                let nextWeek1: Int64 = {
                    let j = JodaDateTimeFormat.daysFromCivil(weekYear + 1, 1, 4)
                    return j - Int64(Int(JavaCalendar.floorMod(j + 3, 7)))
                }()
                guard week >= 1, week <= Int((nextWeek1 - week1) / 7) else { return nil }
                days = week1 + Int64(week - 1) * 7 + Int64(dow - 1)
            }
            let h = hour ?? 0, mi = minute ?? 0, s = second ?? 0
            guard h <= 23, mi <= 59, s <= 59 else { return nil }
            let local = days * 86_400_000 + Int64(h) * 3_600_000 + Int64(mi) * 60_000 + Int64(s) * 1000 + fraction
            if let offset { return local - Int64(offset) }
            // DateTimeParserBucket.computeMillis: a local time the zone skips (a DST gap) is an error.
            let offset = zone.offsetFromLocal(local)
            let utc = local - Int64(offset)
            return offset == zone.offset(atUTC: utc) ? utc : nil
        }

        static func isLeap(_ y: Int64) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }
        static func daysIn(_ y: Int64, _ m: Int) -> Int {
            switch m {
            case 2: isLeap(y) ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Joda's number parser: up to `max` digits (a sign first when `signed`), at least one.
    static func number(_ u: [UInt8], _ at: Int, max: Int, signed: Bool = false) -> (Int64, Int)? {
        var i = at
        var negative = false
        var limit = min(max, u.count - at)
        if signed, i < u.count, u[i] == 0x2D || u[i] == 0x2B, i + 1 < u.count, isDigit(u[i + 1]), limit > 1 {
            negative = u[i] == 0x2D
            i += 1
            limit = min(limit + 1, u.count - at)
        }
        var value: Int64 = 0
        var digits = 0
        while i - at < limit, i < u.count, isDigit(u[i]) {
            value = value * 10 + Int64(u[i] - 0x30)
            i += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        return (negative ? -value : value, i)
    }

    static func literal(_ u: [UInt8], _ at: Int, _ text: String) -> Int? {
        let t = Array(text.utf8)
        guard at + t.count <= u.count else { return nil }
        for (k, c) in t.enumerated() {
            let a = u[at + k]
            guard a == c || (a | 0x20) == (c | 0x20) && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A else { return nil }
        }
        return at + t.count
    }

    /// `T` time [offset] (a time alone).
    static func parseTimeAlternative(_ u: [UInt8], _ at: Int) -> Fields? {
        guard let p = literal(u, at, "T") else { return nil }
        var f = Fields()
        guard let end = parseTime(u, p, &f) else { return nil }
        f.end = end
        parseOffset(u, &f)
        return f
    }

    /// date [`T` [time] [offset]].
    static func parseDateOptionalTime(_ u: [UInt8], _ at: Int) -> Fields? {
        guard var f = parseDate(u, at) else { return nil }
        if let p = literal(u, f.end, "T") {
            var g = f
            g.end = p
            if let end = parseTime(u, p, &g) { g.end = end }
            parseOffset(u, &g)
            f = g
        }
        return f
    }

    static func parseDate(_ u: [UInt8], _ at: Int) -> Fields? {
        var candidates: [Fields] = []
        // yyyy [-MM [-dd]]
        if let (y, p) = number(u, at, max: 9, signed: true) {
            var f = Fields()
            f.year = y
            f.end = p
            if let q = literal(u, p, "-"), let (m, q2) = number(u, q, max: 2) {
                f.month = Int(m)
                f.end = q2
                if let r = literal(u, q2, "-"), let (d, r2) = number(u, r, max: 2) {
                    f.day = Int(d)
                    f.end = r2
                }
            }
            candidates.append(f)
        }
        // xxxx -Www [-e]
        if let (y, p) = number(u, at, max: 9, signed: true), let q = literal(u, p, "-W"), let (w, q2) = number(u, q, max: 2) {
            var f = Fields()
            f.weekYear = y
            f.week = Int(w)
            f.end = q2
            if let r = literal(u, q2, "-"), let (d, r2) = number(u, r, max: 1) {
                f.dayOfWeek = Int(d)
                f.end = r2
            }
            candidates.append(f)
        }
        // yyyy -DDD
        if let (y, p) = number(u, at, max: 9, signed: true), let q = literal(u, p, "-"), let (d, q2) = number(u, q, max: 3) {
            var f = Fields()
            f.year = y
            f.dayOfYear = Int(d)
            f.end = q2
            candidates.append(f)
        }
        var best: Fields?
        for c in candidates where c.end > (best?.end ?? -1) { best = c }
        return best
    }

    /// HH then `:mm` [`:ss` [fraction]] | minute fraction, or an hour fraction; the end, or nil.
    static func parseTime(_ u: [UInt8], _ at: Int, _ f: inout Fields) -> Int? {
        guard let (h, p) = number(u, at, max: 2) else { return nil }
        f.hour = Int(h)
        // `:mm …`
        if let q = literal(u, p, ":"), let (m, q2) = number(u, q, max: 2) {
            f.minute = Int(m)
            if let r = literal(u, q2, ":"), let (s, r2) = number(u, r, max: 2) {
                f.second = Int(s)
                if let (fr, r3) = fraction(u, r2, unit: 1000) {
                    f.fraction = fr
                    return r3
                }
                return r2
            }
            if let (fr, r3) = fraction(u, q2, unit: 60_000) {
                f.fraction = fr
                return r3
            }
            return q2
        }
        if let (fr, q) = fraction(u, p, unit: 3_600_000) {
            f.fraction = fr
            return q
        }
        return p
    }

    /// `.` or `,` then 1–9 digits, as Joda's `Fraction` parser scales them (milliseconds of the unit).
    static func fraction(_ u: [UInt8], _ at: Int, unit: Int64) -> (Int64, Int)? {
        guard at < u.count, u[at] == 0x2E || u[at] == 0x2C else { return nil }
        var i = at + 1
        var value: Int64 = 0
        var n = unit * 10
        while i < u.count, i - at - 1 < 9, isDigit(u[i]) {
            let nn = n / 10
            value += Int64(u[i] - 0x30) * nn
            n = nn
            i += 1
        }
        guard i > at + 1 else { return nil }
        return (value / 10, i)
    }

    /// Joda's offset element (`Z`, or a sign and `hh[[:]mm[[:]ss[[.]SSS]]]`); leaves `f` alone when absent.
    static func parseOffset(_ u: [UInt8], _ f: inout Fields) {
        var p = f.end
        guard p < u.count else { return }
        if u[p] == 0x5A || u[p] == 0x7A {
            f.offset = 0
            f.end = p + 1
            return
        }
        guard u.count - p > 1, u[p] == 0x2B || u[p] == 0x2D else { return }
        let negative = u[p] == 0x2D
        p += 1
        func two(_ i: Int) -> Int? {
            guard i + 1 < u.count, isDigit(u[i]), isDigit(u[i + 1]) else { return nil }
            return Int(u[i] - 0x30) * 10 + Int(u[i + 1] - 0x30)
        }
        guard let hours = two(p), hours <= 23 else { return }
        var offset = hours * 3_600_000
        p += 2
        parse: do {
            guard p < u.count else { break parse }
            let separators: Bool
            if u[p] == 0x3A {
                separators = true
                p += 1
            } else if isDigit(u[p]) {
                separators = false
            } else { break parse }
            guard let minutes = two(p) else {
                if !separators, !(p < u.count && isDigit(u[p])) { break parse }
                return
            }
            guard minutes <= 59 else { return }
            offset += minutes * 60_000
            p += 2
            guard p < u.count else { break parse }
            if separators {
                guard u[p] == 0x3A else { break parse }
                p += 1
            }
            guard let seconds = two(p) else {
                if !separators, !(p < u.count && isDigit(u[p])) { break parse }
                return
            }
            guard seconds <= 59 else { return }
            offset += seconds * 1000
            p += 2
            guard p < u.count else { break parse }
            if separators {
                guard u[p] == 0x2E || u[p] == 0x2C else { break parse }
                p += 1
            }
            guard p < u.count, isDigit(u[p]) else {
                if !separators { break parse }
                return
            }
            var scale = 100
            while p < u.count, scale > 0, isDigit(u[p]) {
                offset += Int(u[p] - 0x30) * scale
                scale /= 10
                p += 1
            }
        }
        f.offset = negative ? -offset : offset
        f.end = p
    }
}
