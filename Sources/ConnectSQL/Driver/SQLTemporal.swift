import ConnectKit

/// Dates and times in the text forms databases print and parse (`2024-03-01`, `13:45:07.250`,
/// `2024-03-01 13:45:07.123456[+01]`), converted to and from epoch values in a zone
/// (`db.timezone`, UTC by default), with nanosecond precision kept.
struct SQLTemporal {
    let zone: JavaTimeZone

    init(zone: JavaTimeZone = .utc) { self.zone = zone }

    /// Days since 1970-01-01 of a civil date (proleptic Gregorian, as SQL databases count).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        JavaCalendar.gregorianFixed(Int64(year), Int64(month), Int64(day)) - JavaCalendar.epochFixed
    }

    /// The civil date of a day count since 1970-01-01.
    static func civil(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0
        mutating func number(_ digits: ClosedRange<Int>) -> Int? {
            var n = 0
            var count = 0
            while i < bytes.count, count < digits.upperBound, bytes[i] >= 48, bytes[i] <= 57 {
                n = n * 10 + Int(bytes[i] - 48)
                i += 1
                count += 1
            }
            return count >= digits.lowerBound ? n : nil
        }
        mutating func expect(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }
        var atEnd: Bool { i >= bytes.count }
        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }
        /// `.fffffffff` → nanoseconds (up to 9 digits; more are cut).
        mutating func fraction() -> Int64 {
            guard expect(UInt8(ascii: ".")) else { return 0 }
            var nanos: Int64 = 0
            var count = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                if count < 9 { nanos = nanos * 10 + Int64(bytes[i] - 48) }
                count += 1
                i += 1
            }
            while count < 9 { nanos *= 10; count += 1 }
            return nanos
        }
    }

    /// `YYYY-MM-DD` → days since the epoch.
    func parseDate(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseDate(utf8: $0) }
    }

    private func parseDate(utf8: UnsafeBufferPointer<UInt8>) -> Int64? {
        var s = Scanner(bytes: utf8)
        guard let days = date(&s) else { return nil }
        return days
    }

    private func date(_ s: inout Scanner) -> Int64? {
        let negative = s.expect(UInt8(ascii: "-"))
        guard let y = s.number(4...6), s.expect(UInt8(ascii: "-")), let m = s.number(1...2), s.expect(UInt8(ascii: "-")),
            let d = s.number(1...2), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        return SQLTemporal.days(year: negative ? -y : y, month: m, day: d)
    }

    /// `HH:MM:SS[.fffffffff]` → nanoseconds of the day.
    func parseTime(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseTime(utf8: $0) }
    }

    private func parseTime(utf8: UnsafeBufferPointer<UInt8>) -> Int64? {
        var s = Scanner(bytes: utf8)
        guard let nanos = time(&s) else { return nil }
        return nanos
    }

    private func time(_ s: inout Scanner) -> Int64? {
        guard let h = s.number(1...3), s.expect(UInt8(ascii: ":")), let m = s.number(2...2) else { return nil }
        var sec = 0
        if s.expect(UInt8(ascii: ":")) {
            guard let v = s.number(2...2) else { return nil }
            sec = v
        }
        let frac = s.fraction()
        return (Int64(h) * 3600 + Int64(m) * 60 + Int64(sec)) * 1_000_000_000 + frac
    }

    /// `YYYY-MM-DD[ T]HH:MM[:SS][.f…][Z|±HH[:MM]]` → nanoseconds since the epoch. Without an
    /// offset the wall time is read in ``zone``.
    func parseTimestamp(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseTimestamp(utf8: $0) }
    }

    private func parseTimestamp(utf8: UnsafeBufferPointer<UInt8>) -> Int64? {
        var s = Scanner(bytes: utf8)
        guard let days = date(&s) else { return nil }
        var nanosOfDay: Int64 = 0
        if s.expect(UInt8(ascii: " ")) || s.expect(UInt8(ascii: "T")) {
            guard let t = time(&s) else { return nil }
            nanosOfDay = t
        }
        let wallNanos = days * 86_400_000_000_000 + nanosOfDay
        if s.atEnd {
            let wallMillis = JavaCalendar.floorDiv(wallNanos, 1_000_000)
            let o = zone.offsets(atWall: wallMillis)
            return wallNanos - Int64(o.raw + o.dst) * 1_000_000
        }
        if s.expect(UInt8(ascii: "Z")) { return s.atEnd ? wallNanos : nil }
        guard let sign = s.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        s.i += 1
        guard let oh = s.number(2...2) else { return nil }
        var om = 0
        var osec = 0
        if s.expect(UInt8(ascii: ":")) || s.peek.map({ $0 >= 48 && $0 <= 57 }) == true {
            guard let v = s.number(2...2) else { return nil }
            om = v
            if s.expect(UInt8(ascii: ":")) { osec = s.number(2...2) ?? 0 }
        }
        guard s.atEnd else { return nil }
        let offset = Int64(oh * 3600 + om * 60 + osec) * 1_000_000_000
        return sign == UInt8(ascii: "+") ? wallNanos - offset : wallNanos + offset
    }


    /// Appends `n` (≥ 0) with at least `width` digits.
    private static func digits(_ n: Int, _ width: Int, _ out: inout [UInt8]) {
        var buffer: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = n
        var count = 0
        withUnsafeMutableBytes(of: &buffer) { b in
            repeat {
                b[11 - count] = UInt8(48 + v % 10)
                v /= 10
                count += 1
            } while v > 0 && count < 12
            while count < width && count < 12 {
                b[11 - count] = 48
                count += 1
            }
            out.append(contentsOf: b[(12 - count)...])
        }
    }

    private static func appendDate(_ days: Int64, _ out: inout [UInt8]) {
        let c = civil(days)
        if c.year < 0 { out.append(45) }
        digits(abs(c.year), 4, &out)
        out.append(45)
        digits(c.month, 2, &out)
        out.append(45)
        digits(c.day, 2, &out)
    }

    private static func appendTime(_ nanosOfDay: Int64, _ out: inout [UInt8]) {
        let secs = Int(nanosOfDay / 1_000_000_000)
        let frac = Int(nanosOfDay % 1_000_000_000)
        digits(secs / 3600, 2, &out)
        out.append(58)
        digits(secs / 60 % 60, 2, &out)
        out.append(58)
        digits(secs % 60, 2, &out)
        guard frac != 0 else { return }
        out.append(46)
        if frac % 1_000_000 == 0 {
            digits(frac / 1_000_000, 3, &out)
        } else if frac % 1000 == 0 {
            digits(frac / 1000, 6, &out)
        } else {
            digits(frac, 9, &out)
        }
    }

    /// `YYYY-MM-DD` of a day count.
    func formatDate(days: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(10)
        SQLTemporal.appendDate(days, &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `HH:MM:SS[.fff|.ffffff|.fffffffff]` (the shortest of the three that is exact) of nanoseconds of the day.
    func formatTime(nanosOfDay: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(18)
        SQLTemporal.appendTime(nanosOfDay, &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYY-MM-DD HH:MM:SS[.f…]`: the wall time in ``zone`` of an instant in epoch nanoseconds,
    /// followed by the zone's offset (`+02:00`) when `withOffset`.
    func formatTimestamp(nanos: Int64, withOffset: Bool = false) -> String {
        let millis = JavaCalendar.floorDiv(nanos, 1_000_000)
        var offset: Int64 = 0
        if zone.id != "UTC" {
            let o = zone.offsets(atUTC: millis)
            offset = Int64(o.raw + o.dst)
        }
        let wall = nanos + offset * 1_000_000
        let days = JavaCalendar.floorDiv(wall, 86_400_000_000_000)
        var out: [UInt8] = []
        out.reserveCapacity(29)
        SQLTemporal.appendDate(days, &out)
        out.append(32)
        SQLTemporal.appendTime(wall - days * 86_400_000_000_000, &out)
        if withOffset {
            let minutes = Int(offset / 60_000)
            out.append(minutes < 0 ? 45 : 43)
            SQLTemporal.digits(abs(minutes) / 60, 2, &out)
            out.append(58)
            SQLTemporal.digits(abs(minutes) % 60, 2, &out)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
