import Foundation

/// `SimpleDateFormat.parse` — lenient, as Kafka uses it: fields read as the JDK reads them (numbers
/// by its `DecimalFormat`, abutting numeric fields by their letter count, names case-insensitively
/// by longest match, zones as names, `GMT±hh:mm`, RFC 822 or ISO 8601), then resolved as
/// `GregorianCalendar` resolves them (the most recently set combination of fields wins; values out
/// of range roll over; two-digit years fall in the 100 years from `defaultCenturyStart`).
extension JavaDateFormat {
    /// Where a parse ended.
    package struct ParseResult: Sendable, Equatable {
        /// Milliseconds since the epoch, or nil when the text did not parse.
        package var millis: Int64?
        /// The index (UTF-16) after the last character used; 0 when the parse failed.
        package var end: Int
        /// Where the parse failed (UTF-16 index), -1 when it did not.
        package var errorOffset: Int
    }

    /// `DateFormat.parse(String)`: the instant, or nil when the text does not start with a date in
    /// this format (text after the date is ignored, as Java does).
    package func parse(_ text: String, defaultCenturyStart: Int64? = nil) -> Int64? {
        parse(text, from: 0, defaultCenturyStart: defaultCenturyStart).millis
    }

    /// `SimpleDateFormat.parse(String, ParsePosition)`.
    /// - Parameter defaultCenturyStart: the start of the two-digit-year window (ms) when not the
    ///   format's own (``defaultCenturyStart``).
    package func parse(_ text: String, from start: Int, defaultCenturyStart: Int64? = nil) -> ParseResult {
        let centuryStart = defaultCenturyStart ?? self.defaultCenturyStart
        var parser = DateParser(text: Array(text.utf16), format: self, centuryStart: centuryStart)
        return parser.run(from: start)
    }
}

func wallClockMillisecondsNow() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

// MARK: - Calendar fields and their resolution

/// Java's `Calendar` field indices, and `CalendarBuilder`'s two pseudo fields.
enum CalendarField {
    static let era = 0, year = 1, month = 2, weekOfYear = 3, weekOfMonth = 4, dayOfMonth = 5, dayOfYear = 6, dayOfWeek = 7,
        dayOfWeekInMonth = 8, amPm = 9, hour = 10, hourOfDay = 11, minute = 12, second = 13, millisecond = 14, zoneOffset = 15,
        dstOffset = 16, weekYear = 17, isoDayOfWeek = 18
    static let count = 19

    static func of(_ letter: Character) -> Int {
        switch letter {
        case "G": era
        case "y": year
        case "M", "L": month
        case "d": dayOfMonth
        case "k", "H": hourOfDay
        case "m": minute
        case "s": second
        case "S": millisecond
        case "E": dayOfWeek
        case "D": dayOfYear
        case "F": dayOfWeekInMonth
        case "w": weekOfYear
        case "W": weekOfMonth
        case "a": amPm
        case "h", "K": hour
        case "Y": weekYear
        case "u": isoDayOfWeek
        default: zoneOffset  // z, Z, X
        }
    }
}

/// Calendar fields set with "stamps" (the order they were set in), as Java's `Calendar` keeps them.
struct StampedFields {
    var values = [Int32](repeating: 0, count: CalendarField.count)
    var stamps = [Int](repeating: 0, count: CalendarField.count)
    var nextStamp = 2

    func isSet(_ f: Int) -> Bool { stamps[f] != 0 }
    subscript(_ f: Int) -> Int32 { values[f] }

    mutating func set(_ f: Int, _ v: Int32) {
        var field = f, value = v
        if field == CalendarField.isoDayOfWeek {
            field = CalendarField.dayOfWeek
            // Java's toCalendarDayOfWeek: 1 (Monday) … 7 (Sunday) → 2 … 1; invalid values pass through.
            if value >= 1 && value <= 7 { value = value == 7 ? 1 : value + 1 }
        }
        values[field] = value
        stamps[field] = nextStamp
        nextStamp += 1
    }

    mutating func clear(_ f: Int) {
        values[f] = 0
        stamps[f] = 0
    }
}

/// `GregorianCalendar.computeTime` in lenient mode over stamped fields.
struct CalendarResolver {
    let zone: JavaTimeZone
    let locale: JavaLocale

    static let dayMillis: Int64 = 86_400_000

    /// `Calendar.selectFields`: which fields take part, as a set of field indices.
    static func selectFields(_ f: StampedFields) -> Set<Int> {
        let unset = 0
        func aggregate(_ a: Int, _ b: Int) -> Int { a == unset || b == unset ? unset : max(a, b) }
        var mask: Set<Int> = [CalendarField.year]
        if f.isSet(CalendarField.era) { mask.insert(CalendarField.era) }
        let s = f.stamps
        let dowStamp = s[CalendarField.dayOfWeek], monthStamp = s[CalendarField.month]
        var domStamp = s[CalendarField.dayOfMonth]
        var womStamp = aggregate(s[CalendarField.weekOfMonth], dowStamp)
        var dowimStamp = aggregate(s[CalendarField.dayOfWeekInMonth], dowStamp)
        let doyStamp = s[CalendarField.dayOfYear]
        var woyStamp = aggregate(s[CalendarField.weekOfYear], dowStamp)
        var best = max(domStamp, womStamp, dowimStamp, doyStamp, woyStamp)
        if best == unset {
            womStamp = s[CalendarField.weekOfMonth]
            dowimStamp = max(s[CalendarField.dayOfWeekInMonth], dowStamp)
            woyStamp = s[CalendarField.weekOfYear]
            best = max(womStamp, dowimStamp, woyStamp)
            if best == unset {
                domStamp = monthStamp
                best = monthStamp
            }
        }
        if best == domStamp || (best == womStamp && s[CalendarField.weekOfMonth] >= s[CalendarField.weekOfYear])
            || (best == dowimStamp && s[CalendarField.dayOfWeekInMonth] >= s[CalendarField.weekOfYear])
        {
            mask.insert(CalendarField.month)
            if best == domStamp {
                mask.insert(CalendarField.dayOfMonth)
            } else {
                if dowStamp != unset { mask.insert(CalendarField.dayOfWeek) }
                if womStamp == dowimStamp {
                    mask.insert(s[CalendarField.weekOfMonth] >= s[CalendarField.dayOfWeekInMonth] ? CalendarField.weekOfMonth : CalendarField.dayOfWeekInMonth)
                } else if best == womStamp {
                    mask.insert(CalendarField.weekOfMonth)
                } else if s[CalendarField.dayOfWeekInMonth] != unset {
                    mask.insert(CalendarField.dayOfWeekInMonth)
                }
            }
        } else if best == doyStamp {
            mask.insert(CalendarField.dayOfYear)
        } else {
            if dowStamp != unset { mask.insert(CalendarField.dayOfWeek) }
            mask.insert(CalendarField.weekOfYear)
        }
        let hourOfDayStamp = s[CalendarField.hourOfDay]
        let hourStamp = aggregate(s[CalendarField.hour], s[CalendarField.amPm])
        var bestHour = max(hourStamp, hourOfDayStamp)
        if bestHour == unset { bestHour = max(s[CalendarField.hour], s[CalendarField.amPm]) }
        if bestHour != unset {
            if bestHour == hourOfDayStamp {
                mask.insert(CalendarField.hourOfDay)
            } else {
                mask.insert(CalendarField.hour)
                if s[CalendarField.amPm] != unset { mask.insert(CalendarField.amPm) }
            }
        }
        for field in [CalendarField.minute, CalendarField.second, CalendarField.millisecond] where s[field] != unset { mask.insert(field) }
        if s[CalendarField.zoneOffset] >= 2 { mask.insert(CalendarField.zoneOffset) }
        if s[CalendarField.dstOffset] >= 2 { mask.insert(CalendarField.dstOffset) }
        return mask
    }

    /// `GregorianCalendar.getFixedDate(cal, year, fieldMask)`: the day within the year.
    func fixedDate(julian: Bool, year y: Int64, _ mask: Set<Int>, _ f: StampedFields) -> Int64 {
        var year = y
        var month: Int64 = 0
        if mask.contains(CalendarField.month) {
            month = Int64(f[CalendarField.month])
            if month > 11 {
                year += month / 12
                month %= 12
            } else if month < 0 {
                year += JavaCalendar.floorDiv(month, 12)
                month = JavaCalendar.floorMod(month, 12)
            }
        }
        var fixed = julian ? JavaCalendar.julianFixed(year, month + 1, 1) : JavaCalendar.gregorianFixed(year, month + 1, 1)
        let firstDayOfWeek = Int64(locale.firstDayOfWeek), minimalDays = Int64(locale.minimalDaysInFirstWeek)
        if mask.contains(CalendarField.month) {
            if mask.contains(CalendarField.dayOfMonth) {
                if f.isSet(CalendarField.dayOfMonth) { fixed += Int64(f[CalendarField.dayOfMonth]) - 1 }
            } else if mask.contains(CalendarField.weekOfMonth) {
                var firstDay = JavaCalendar.dayOfWeekOnOrBefore(fixed + 6, Int(firstDayOfWeek))
                if firstDay - fixed >= minimalDays { firstDay -= 7 }
                if mask.contains(CalendarField.dayOfWeek) { firstDay = JavaCalendar.dayOfWeekOnOrBefore(firstDay + 6, Int(f[CalendarField.dayOfWeek])) }
                fixed = firstDay + 7 * (Int64(f[CalendarField.weekOfMonth]) - 1)
            } else {
                let dayOfWeek = mask.contains(CalendarField.dayOfWeek) ? Int(f[CalendarField.dayOfWeek]) : Int(firstDayOfWeek)
                let dowim = mask.contains(CalendarField.dayOfWeekInMonth) ? Int64(f[CalendarField.dayOfWeekInMonth]) : 1
                if dowim >= 0 {
                    fixed = JavaCalendar.dayOfWeekOnOrBefore(fixed + 7 * dowim - 1, dayOfWeek)
                } else {
                    let length = (julian ? JavaCalendar.julianFixed(year, month + 2, 1) : JavaCalendar.gregorianFixed(year, month + 2, 1)) - fixed
                    let last = length + 7 * (dowim + 1)
                    fixed = JavaCalendar.dayOfWeekOnOrBefore(fixed + last - 1, dayOfWeek)
                }
            }
        } else if mask.contains(CalendarField.dayOfYear) {
            fixed += Int64(f[CalendarField.dayOfYear]) - 1
        } else {
            var firstDay = JavaCalendar.dayOfWeekOnOrBefore(fixed + 6, Int(firstDayOfWeek))
            if firstDay - fixed >= minimalDays { firstDay -= 7 }
            if mask.contains(CalendarField.dayOfWeek) {
                let dayOfWeek = Int(f[CalendarField.dayOfWeek])
                if Int64(dayOfWeek) != firstDayOfWeek { firstDay = JavaCalendar.dayOfWeekOnOrBefore(firstDay + 6, dayOfWeek) }
            }
            fixed = firstDay + 7 * (Int64(f[CalendarField.weekOfYear]) - 1)
        }
        return fixed
    }

    /// The instant of the fields (lenient `computeTime`).
    func time(_ f: StampedFields) -> Int64 {
        let mask = Self.selectFields(f)
        var year = f.isSet(CalendarField.year) ? Int64(f[CalendarField.year]) : 1970
        let era = f.isSet(CalendarField.era) ? f[CalendarField.era] : 1
        if era == 0 { year = 1 - year }  // BC
        var timeOfDay: Int64 = 0
        if mask.contains(CalendarField.hourOfDay) {
            timeOfDay += Int64(f[CalendarField.hourOfDay])
        } else {
            timeOfDay += Int64(f[CalendarField.hour])
            if mask.contains(CalendarField.amPm) { timeOfDay += 12 * Int64(f[CalendarField.amPm]) }
        }
        timeOfDay = ((timeOfDay * 60 + Int64(f[CalendarField.minute])) * 60 + Int64(f[CalendarField.second])) * 1000 + Int64(f[CalendarField.millisecond])
        var fixed = timeOfDay / Self.dayMillis
        timeOfDay %= Self.dayMillis
        while timeOfDay < 0 {
            timeOfDay += Self.dayMillis
            fixed -= 1
        }
        let cutover = JavaCalendar.cutoverFixed
        var gfd: Int64, jfd: Int64
        calculate: do {
            if year > 1582 {
                gfd = fixed + fixedDate(julian: false, year: year, mask, f)
                if gfd >= cutover {
                    fixed = gfd
                    break calculate
                }
                jfd = fixed + fixedDate(julian: true, year: year, mask, f)
            } else if year < 1582 {
                jfd = fixed + fixedDate(julian: true, year: year, mask, f)
                if jfd < cutover {
                    fixed = jfd
                    break calculate
                }
                gfd = jfd
            } else {
                jfd = fixed + fixedDate(julian: true, year: year, mask, f)
                gfd = fixed + fixedDate(julian: false, year: year, mask, f)
            }
            if mask.contains(CalendarField.dayOfYear) || mask.contains(CalendarField.weekOfYear) {
                fixed = jfd
                break calculate
            }
            fixed = gfd >= cutover ? gfd : jfd
        }
        // Java's long arithmetic wraps (a year far out of range gives a wrapped instant, not a trap).
        let local = (fixed &- JavaCalendar.epochFixed) &* Self.dayMillis &+ timeOfDay
        let zoneSet = mask.contains(CalendarField.zoneOffset), dstSet = mask.contains(CalendarField.dstOffset)
        var offsets = (raw: 0, dst: 0)
        if !(zoneSet && dstSet) { offsets = zone.offsets(atWall: local) }
        if zoneSet { offsets.raw = Int(f[CalendarField.zoneOffset]) }
        if dstSet { offsets.dst = Int(f[CalendarField.dstOffset]) }
        return local &- Int64(offsets.raw &+ offsets.dst)
    }

    /// `GregorianCalendar.setWeekDate` as `CalendarBuilder.establish` calls it: the date of
    /// `weekOfYear`/`dayOfWeek` in `weekYear` replaces the year, month and day fields.
    func applyWeekDate(_ f: inout StampedFields, weekYear: Int32, weekOfYear: Int32, dayOfWeek: Int32) {
        // The era of the fields as they stand, then the first day of week 1 of the week year.
        let current = time(f)
        let era = JavaCalendarFields(millis: current, zone: zone, locale: locale).era
        var g = StampedFields()
        g.set(CalendarField.era, Int32(era))
        g.set(CalendarField.year, weekYear)
        g.set(CalendarField.weekOfYear, 1)
        g.set(CalendarField.dayOfWeek, Int32(locale.firstDayOfWeek))
        var days = Int64(dayOfWeek) - Int64(locale.firstDayOfWeek)
        if days < 0 { days += 7 }
        days += 7 * (Int64(weekOfYear) - 1)
        let gmt = CalendarResolver(zone: .utc, locale: locale)
        let millis = gmt.time(g) + days * Self.dayMillis
        let d = JavaCalendarFields(millis: millis, zone: .utc, locale: locale)
        f.set(CalendarField.era, Int32(d.era))
        f.set(CalendarField.year, Int32(truncatingIfNeeded: d.year))
        f.set(CalendarField.month, Int32(d.month))
        f.set(CalendarField.dayOfMonth, Int32(d.dayOfMonth))
    }
}

// MARK: - Reading the text

/// UTF-16 code units the parser compares against.
enum U {
    static let Z: UInt16 = 0x5A, plus: UInt16 = 0x2B, minus: UInt16 = 0x2D, G: UInt16 = 0x47, g: UInt16 = 0x67, E: UInt16 = 0x45
    static let colon: UInt16 = 0x3A
}

/// One parse of one text (`SimpleDateFormat.parse` and its `subParse`).
struct DateParser {
    let text: [UInt16]
    let format: JavaDateFormat
    let centuryStart: Int64
    var fields = StampedFields()
    var zone: JavaTimeZone
    var ambiguousYear = false
    var errorOffset = -1

    init(text: [UInt16], format: JavaDateFormat, centuryStart: Int64) {
        self.text = text
        self.format = format
        self.centuryStart = centuryStart
        zone = format.zone
    }

    var centuryStartYear: Int32 {
        Int32(truncatingIfNeeded: JavaCalendarFields(millis: centuryStart, zone: format.zone, locale: format.locale).year)
    }

    mutating func run(from origin: Int) -> JavaDateFormat.ParseResult {
        var pos = origin
        let tokens = format.tokens
        for (i, token) in tokens.enumerated() {
            switch token {
            case .literal(let l):
                for unit in l.utf16 {
                    guard pos < text.count, text[pos] == unit else { return .init(millis: nil, end: 0, errorOffset: pos) }
                    pos += 1
                }
            case .field(let c, let n):
                var obeyCount = false
                if i + 1 < tokens.count, case .field(let next, let nextCount) = tokens[i + 1] {
                    switch next {
                    case "M", "L": obeyCount = nextCount <= 2
                    case "y", "d", "k", "H", "m", "s", "S", "D", "F", "w", "W", "h", "K", "Y", "u": obeyCount = true
                    default: obeyCount = false
                    }
                }
                let next = subParse(pos, c, n, obeyCount: obeyCount)
                guard next >= 0 else { return .init(millis: nil, end: 0, errorOffset: errorOffset) }
                pos = next
            }
        }
        let resolver = CalendarResolver(zone: zone, locale: format.locale)
        var millis = establish(resolver)
        if ambiguousYear, millis < centuryStart {
            fields.values[CalendarField.year] &+= 100
            fields.values[CalendarField.weekYear] &+= 100
            millis = establish(resolver)
        }
        return .init(millis: millis, end: pos, errorOffset: -1)
    }

    /// `CalendarBuilder.establish` then `getTime`.
    func establish(_ resolver: CalendarResolver) -> Int64 {
        var f = StampedFields()
        let weekDate = fields.isSet(CalendarField.weekYear) && fields.stamps[CalendarField.weekYear] > fields.stamps[CalendarField.year]
        // Replay the fields in the order they were read (the week year is applied afterwards).
        let order = (0..<CalendarField.weekYear).filter { fields.isSet($0) }.sorted { fields.stamps[$0] < fields.stamps[$1] }
        for field in order { f.set(field, fields[field]) }
        if weekDate {
            var weekOfYear = fields.isSet(CalendarField.weekOfYear) ? fields[CalendarField.weekOfYear] : 1
            var dayOfWeek = fields.isSet(CalendarField.dayOfWeek) ? fields[CalendarField.dayOfWeek] : Int32(format.locale.firstDayOfWeek)
            if !(1...7).contains(dayOfWeek) {
                if dayOfWeek >= 8 {
                    dayOfWeek -= 1
                    weekOfYear += dayOfWeek / 7
                    dayOfWeek = dayOfWeek % 7 + 1
                } else {
                    while dayOfWeek <= 0 {
                        dayOfWeek += 7
                        weekOfYear -= 1
                    }
                }
            }
            resolver.applyWeekDate(&f, weekYear: fields[CalendarField.weekYear], weekOfYear: weekOfYear, dayOfWeek: dayOfWeek)
        }
        return resolver.time(f)
    }

    static let space: UInt16 = 0x20, tab: UInt16 = 0x09

    /// Java's `subParse`: reads one field at `start`; returns the position after it, or -1 (with
    /// `errorOffset` set).
    mutating func subParse(_ start: Int, _ letter: Character, _ count: Int, obeyCount: Bool) -> Int {
        var pos = start
        while true {
            guard pos < text.count else {
                errorOffset = start
                return -1
            }
            if text[pos] != Self.space && text[pos] != Self.tab { break }
            pos += 1
        }
        let actualStart = pos
        let field = CalendarField.of(letter)
        var value: Int32 = 0
        func fail() -> Int {
            errorOffset = pos
            return -1
        }
        let locale = format.locale
        switch letter {
        case "k", "h", "y", "Y":
            guard let (v, end) = number(at: pos, start: start, count: count, obeyCount: obeyCount) else { return fail() }
            value = v
            pos = end
        case "M" where count <= 2, "L" where count <= 2:
            guard let (v, end) = number(at: pos, start: start, count: count, obeyCount: obeyCount) else { return fail() }
            value = v
            pos = end
        default: break
        }
        switch letter {
        case "G":
            return match(start, CalendarField.era, [locale.eras, ["Before Christ", "Anno Domini"]]) ?? fail()
        case "y", "Y":
            if count <= 2 && pos - actualStart == 2 && isDigit(text[actualStart]) && isDigit(text[actualStart + 1]) {
                let ambiguous = centuryStartYear % 100
                ambiguousYear = value == ambiguous
                value += (centuryStartYear / 100) * 100 + (value < ambiguous ? 100 : 0)
            }
            fields.set(field, value)
            return pos
        case "M":
            if count <= 2 {
                fields.set(CalendarField.month, value &- 1)
                return pos
            }
            return match(start, CalendarField.month, [locale.shortMonths, locale.months]) ?? fail()
        case "L":
            if count <= 2 {
                fields.set(CalendarField.month, value &- 1)
                return pos
            }
            return match(start, CalendarField.month, [locale.shortMonths, locale.standaloneShortMonths, locale.months, locale.standaloneMonths]) ?? fail()
        case "k":
            fields.set(CalendarField.hourOfDay, value == 24 ? 0 : value)
            return pos
        case "E":
            if let end = match(start, CalendarField.dayOfWeek, [locale.weekdays], offset: 1) { return end }
            return match(start, CalendarField.dayOfWeek, [locale.shortWeekdays], offset: 1) ?? fail()
        case "a":
            return match(start, CalendarField.amPm, [locale.amPm]) ?? fail()
        case "h":
            fields.set(CalendarField.hour, value == 12 ? 0 : value)
            return pos
        case "z", "Z":
            return parseZone(start, &pos) ?? fail()
        case "X":
            guard pos < text.count else { return fail() }
            let c = text[pos]
            if c == U.Z {
                fields.set(CalendarField.zoneOffset, 0)
                fields.set(CalendarField.dstOffset, 0)
                return pos + 1
            }
            guard c == U.plus || c == U.minus else {
                pos += 1
                return fail()
            }
            let end = numericZone(pos + 1, sign: c == U.plus ? 1 : -1, count: count, colon: count == 3)
            if end > 0 { return end }
            pos = -end
            return fail()
        default:
            guard let (v, end) = number(at: pos, start: start, count: count, obeyCount: obeyCount) else { return fail() }
            fields.set(field, v)
            return end
        }
    }

    func isDigit(_ c: UInt16) -> Bool { c >= 0x30 && c <= 0x39 }

    /// The integer `DecimalFormat` reads at `pos` (digits, an optional leading minus, an optional
    /// exponent), as `Number.intValue()`; with `obeyCount` no further than `start + count`.
    func number(at pos: Int, start: Int, count: Int, obeyCount: Bool) -> (Int32, Int)? {
        let limit = obeyCount ? start + count : text.count
        guard limit <= text.count else { return nil }
        var i = pos
        var negative = false
        if i < limit, text[i] == U.minus {
            negative = true
            i += 1
        }
        var digits: [Int] = []
        while i < limit, let d = Self.digitValue(text[i]) {
            digits.append(d)
            i += 1
        }
        guard !digits.isEmpty else { return nil }
        var exponent = 0
        if i < limit, text[i] == U.E {
            var j = i + 1
            var expNegative = false
            if j < limit, text[j] == U.minus {
                expNegative = true
                j += 1
            }
            var e = 0, seen = false
            while j < limit, let d = Self.digitValue(text[j]), e < 100_000 {
                e = e * 10 + d
                j += 1
                seen = true
            }
            if seen {
                exponent = expNegative ? -e : e
                i = j
            }
        }
        // The value, as a Long when it fits (intValue() keeps its low 32 bits), else a Double
        // (intValue() saturates).
        var exact: Int64? = 0
        var approximate = 0.0
        for d in digits {
            approximate = approximate * 10 + Double(d)
            if let e = exact {
                let (m, o1) = e.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(d))
                exact = o1 || o2 ? nil : a
            }
        }
        if exponent > 0 {
            for _ in 0..<min(exponent, 400) {
                approximate *= 10
                if let e = exact {
                    let (m, o) = e.multipliedReportingOverflow(by: 10)
                    exact = o ? nil : m
                }
            }
        } else if exponent < 0 {
            for _ in 0..<min(-exponent, 400) {
                approximate /= 10
                exact = exact.map { $0 / 10 }
            }
        }
        let value: Int32
        if let e = exact {
            value = Int32(truncatingIfNeeded: negative ? -e : e)
        } else {
            let d = negative ? -approximate : approximate
            value = d >= Double(Int32.max) ? .max : d <= Double(Int32.min) ? .min : Int32(d)
        }
        return (value, i)
    }

    static func digitValue(_ c: UInt16) -> Int? {
        if c >= 0x30 && c <= 0x39 { return Int(c - 0x30) }
        guard c >= 0x80, let scalar = Unicode.Scalar(c), scalar.properties.numericType == .decimal,
            let v = scalar.properties.numericValue
        else { return nil }
        return Int(v)
    }

    /// Case-insensitive region match of `name` at `at`.
    func matches(_ name: String, at: Int) -> Bool {
        let n = Array(name.utf16)
        guard at >= 0, at + n.count <= text.count else { return false }
        for k in 0..<n.count {
            let a = text[at + k], b = n[k]
            if a == b { continue }
            guard let x = Unicode.Scalar(a), let y = Unicode.Scalar(b) else { return false }
            if String(x).uppercased() != String(y).uppercased() && String(x).lowercased() != String(y).lowercased() { return false }
        }
        return true
    }

    /// The longest of the names (index i of each list means value i + offset) matching at `start`:
    /// sets the field and returns the end, or nil.
    mutating func match(_ start: Int, _ field: Int, _ lists: [[String]], offset: Int = 0) -> Int? {
        var best: (length: Int, value: Int)? = nil
        for list in lists {
            for (i, name) in list.enumerated() where !name.isEmpty {
                let length = name.utf16.count
                if length > (best?.length ?? 0), matches(name, at: start) { best = (length, i + offset) }
            }
        }
        guard let best else { return nil }
        fields.set(field, Int32(best.value))
        return start + best.length
    }

    /// `z` / `Z`: `+hhmm`, `GMT`, `GMT±h[h]:mm`, or a zone name.
    mutating func parseZone(_ start: Int, _ pos: inout Int) -> Int? {
        guard pos < text.count else { return nil }
        let c = text[pos]
        if c == U.plus || c == U.minus {
            let end = numericZone(pos + 1, sign: c == U.plus ? 1 : -1, count: 0, colon: false)
            if end > 0 { return end }
            pos = -end
            return nil
        }
        if (c == U.G || c == U.g), matches("GMT", at: start) {
            pos = start + 3
            if pos < text.count, text[pos] == U.plus || text[pos] == U.minus {
                let sign = text[pos] == U.plus ? 1 : -1
                let end = numericZone(pos + 1, sign: sign, count: 0, colon: true)
                if end > 0 { return end }
                pos = -end
                return nil
            }
            fields.set(CalendarField.zoneOffset, 0)
            fields.set(CalendarField.dstOffset, 0)
            return pos
        }
        let end = zoneName(pos)
        if end > 0 { return end }
        pos = -end
        return nil
    }

    /// Java's `subParseNumericZone`: `hh[:]mm` (or `hh` for one `X`); returns the end, or a
    /// negative position on failure.
    mutating func numericZone(_ start: Int, sign: Int, count: Int, colon: Bool) -> Int {
        var index = start
        func next() -> UInt16? {
            guard index < text.count else { return nil }
            defer { index += 1 }
            return text[index]
        }
        parse: do {
            guard var c = next(), isDigit(c) else { break parse }
            var hours = Int(c - 0x30)
            guard let c2 = next() else { break parse }
            c = c2
            if isDigit(c) {
                hours = hours * 10 + Int(c - 0x30)
            } else {
                if count > 0 || !colon { break parse }
                index -= 1
            }
            if hours > 23 { break parse }
            var minutes = 0
            if count != 1 {
                guard var m = next() else { break parse }
                if colon {
                    if m != U.colon { break parse }
                    guard let m2 = next() else { break parse }
                    m = m2
                }
                guard isDigit(m) else { break parse }
                minutes = Int(m - 0x30)
                guard let m3 = next(), isDigit(m3) else { break parse }
                minutes = minutes * 10 + Int(m3 - 0x30)
                if minutes > 59 { break parse }
            }
            minutes += hours * 60
            fields.set(CalendarField.zoneOffset, Int32(minutes * 60_000 * sign))
            fields.set(CalendarField.dstOffset, 0)
            return index
        }
        return 1 - index
    }

    /// Java's `subParseZoneString`: the formatter's zone's names first, then the default zone's,
    /// then every zone's; long standard, short standard, long daylight, short daylight in that order.
    mutating func zoneName(_ start: Int) -> Int {
        let locale = format.locale
        var candidates = [format.zone.id, JavaTimeZone.default.id]
        for id in JavaTimeZone.namedIDs where id != candidates[0] && id != candidates[1] { candidates.append(id) }
        for id in candidates {
            guard let names = JavaTimeZone.names[locale.tag]?[id] ?? JavaTimeZone.names["en_US"]![id] else { continue }
            let ordered = [names.2, names.0, names.3, names.1]  // long std, short std, long dst, short dst
            guard let index = ordered.firstIndex(where: { matches($0, at: start) }) else { continue }
            guard let tz = JavaTimeZone(id: id) else { continue }
            zone = tz
            let name = ordered[index]
            let sameName = index <= 1 && name.lowercased() == ordered[index + 2].lowercased()
            let dstAmount = index >= 2 ? tz.dstSavings : 0
            if !(sameName || (index >= 2 && dstAmount == 0)) {
                fields.clear(CalendarField.zoneOffset)
                fields.set(CalendarField.dstOffset, Int32(dstAmount))
            }
            return start + name.utf16.count
        }
        return -start
    }
}
