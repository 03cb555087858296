/// Java's `java.util.GregorianCalendar` arithmetic, as `SimpleDateFormat` and `Date.toString` use it:
/// the Julian calendar before the Gregorian cutover (1582-10-15), the Gregorian calendar from then
/// on, eras (BC/AD), and week numbering by a locale's first day of the week and minimal days in the
/// first week.
///
/// Dates are handled as *fixed dates* (day 1 is 0001-01-01 in the proleptic Gregorian calendar), as
/// Java's `sun.util.calendar` does; years are "normalized" (1 BC is year 0).
package enum JavaCalendar {
    /// Fixed date of 1970-01-01.
    package static let epochFixed: Int64 = 719_163
    /// Fixed date of the first Gregorian day, 1582-10-15 (Java's default cutover).
    package static let cutoverFixed: Int64 = 577_736
    /// Fixed date of January 1, 1 AD in the Julian calendar.
    static let julianEpoch: Int64 = -1

    @inline(__always) package static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    @inline(__always) static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    static func isGregorianLeap(_ y: Int64) -> Bool { floorMod(y, 4) == 0 && (floorMod(y, 100) != 0 || floorMod(y, 400) == 0) }
    static func isJulianLeap(_ y: Int64) -> Bool { floorMod(y, 4) == 0 }

    /// The fixed date of a Gregorian (proleptic) date; `month` 1…12.
    package static func gregorianFixed(_ y: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y1 = y - 1
        var days = 365 * y1 + floorDiv(y1, 4) - floorDiv(y1, 100) + floorDiv(y1, 400) + floorDiv(367 * month - 362, 12) + day
        if month > 2 { days -= isGregorianLeap(y) ? 1 : 2 }
        return days
    }

    /// The fixed date of a Julian date; `month` 1…12.
    static func julianFixed(_ y: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y1 = y - 1
        var days = julianEpoch - 1 + 365 * y1 + floorDiv(y1, 4) + floorDiv(367 * month - 362, 12) + day
        if month > 2 { days -= isJulianLeap(y) ? 1 : 2 }
        return days
    }

    static func gregorianYear(_ fixed: Int64) -> Int64 {
        let d0 = fixed - 1
        let n400 = floorDiv(d0, 146_097), d1 = floorMod(d0, 146_097)
        let n100 = d1 / 36524, d2 = d1 % 36524
        let n4 = d2 / 1461, d3 = d2 % 1461
        let n1 = d3 / 365
        let year = 400 * n400 + 100 * n100 + 4 * n4 + n1
        return (n100 == 4 || n1 == 4) ? year : year + 1
    }

    static func julianYear(_ fixed: Int64) -> Int64 { floorDiv(4 * (fixed - julianEpoch) + 1464, 1461) }

    /// Year, month (1…12) and day of a fixed date, in the calendar Java uses for it.
    static func date(_ fixed: Int64) -> (year: Int64, month: Int, day: Int, gregorian: Bool) {
        let gregorian = fixed >= cutoverFixed
        let year = gregorian ? gregorianYear(fixed) : julianYear(fixed)
        let jan1 = gregorian ? gregorianFixed(year, 1, 1) : julianFixed(year, 1, 1)
        let leap = gregorian ? isGregorianLeap(year) : isJulianLeap(year)
        let mar1 = jan1 + (leap ? 60 : 59)
        let priorDays = fixed - jan1 + (fixed < mar1 ? 0 : (leap ? 1 : 2))
        let month = floorDiv(12 * priorDays + 373, 367)
        let monthStart = gregorian ? gregorianFixed(year, month, 1) : julianFixed(year, month, 1)
        return (year, Int(month), Int(fixed - monthStart + 1), gregorian)
    }

    /// The fixed date of January 1 of `year` as Java counts days of the year: in the cutover year
    /// (1582) the Julian January 1, so that days continue across the ten skipped days.
    static func jan1(_ year: Int64) -> Int64 {
        year > 1582 ? gregorianFixed(year, 1, 1) : julianFixed(year, 1, 1)
    }

    /// The fixed date of `year`/`month`/`day` as Java's lenient GregorianCalendar resolves it
    /// (month and day may be out of range: they roll over). Julian before 1582, Gregorian after,
    /// and in 1582 whichever puts the date on its side of the cutover.
    static func fixed(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = year + floorDiv(month - 1, 12)
        let m = floorMod(month - 1, 12) + 1
        if y > 1582 { return gregorianFixed(y, m, 1) + day - 1 }
        if y < 1582 { return julianFixed(y, m, 1) + day - 1 }
        let g = gregorianFixed(y, m, 1) + day - 1
        return g >= cutoverFixed ? g : julianFixed(y, m, 1) + day - 1
    }

    /// Java's `Calendar.DAY_OF_WEEK` of a fixed date: 1 (Sunday) … 7 (Saturday).
    static func dayOfWeek(_ fixed: Int64) -> Int { Int(floorMod(fixed, 7)) + 1 }

    /// The fixed date of the `dayOfWeek` on or before `fixed`.
    static func dayOfWeekOnOrBefore(_ fixed: Int64, _ dayOfWeek: Int) -> Int64 {
        fixed - floorMod(fixed - Int64(dayOfWeek - 1), 7)
    }
}

/// A locale as the JDK's `SimpleDateFormat` sees it: how it numbers weeks (`Calendar`'s first day of
/// the week and minimal days in the first week) and its month, weekday, era and AM/PM texts — the
/// JDK's own, generated into `JavaTimeZoneNames.swift`. English locales are supported (`en`,
/// `en_US`, `en_GB`); any other tag formats as `en_US`.
package struct JavaLocale: Sendable, Hashable {
    /// Java's locale tag (`en_US`, `en_GB`, `en`).
    package let tag: String
    /// 1 = Sunday … 7 = Saturday.
    let firstDayOfWeek: Int
    let minimalDaysInFirstWeek: Int
    let amPm: [String]
    let eras: [String]
    let months: [String]
    let shortMonths: [String]
    let standaloneMonths: [String]
    let standaloneShortMonths: [String]
    /// Sunday first.
    let weekdays: [String]
    let shortWeekdays: [String]

    package static let us = data["en_US"]!
    package static let gb = data["en_GB"]!

    /// The locale for a Java tag; tags other than `en`, `en_US`, `en_GB` format as `en_US`.
    package static func named(_ tag: String) -> JavaLocale { data[tag] ?? us }

    package static func == (a: JavaLocale, b: JavaLocale) -> Bool { a.tag == b.tag }
    package func hash(into hasher: inout Hasher) { hasher.combine(tag) }
}

/// The calendar fields of one instant in one zone, as `GregorianCalendar.computeFields` sets them.
package struct JavaCalendarFields: Sendable {
    /// 0 = BC, 1 = AD.
    var era: Int
    /// Year of the era (≥ 1).
    var year: Int64
    /// 0 = January.
    var month: Int
    var dayOfMonth: Int
    var dayOfYear: Int
    /// 1 = Sunday … 7 = Saturday.
    var dayOfWeek: Int
    var dayOfWeekInMonth: Int
    var weekOfYear: Int
    var weekOfMonth: Int
    /// The year that `weekOfYear` belongs to (normalized: 0 is 1 BC).
    var weekYear: Int64
    var hourOfDay: Int
    var minute: Int
    var second: Int
    var millisecond: Int
    /// Milliseconds.
    var zoneOffset: Int
    var dstOffset: Int

    /// The fields of `millis` (since the epoch, UTC) in `zone`, numbering weeks as `locale` does.
    package init(millis: Int64, zone: JavaTimeZone, locale: JavaLocale) {
        let (raw, dst) = zone.offsets(atUTC: millis)
        zoneOffset = raw
        dstOffset = dst
        let local = millis + Int64(raw + dst)
        let fixed = JavaCalendar.floorDiv(local, 86_400_000) + JavaCalendar.epochFixed
        let msOfDay = Int(JavaCalendar.floorMod(local, 86_400_000))
        hourOfDay = msOfDay / 3_600_000
        minute = msOfDay / 60_000 % 60
        second = msOfDay / 1000 % 60
        millisecond = msOfDay % 1000

        let d = JavaCalendar.date(fixed)
        era = d.year > 0 ? 1 : 0
        year = d.year > 0 ? d.year : 1 - d.year
        month = d.month - 1
        dayOfMonth = d.day
        let jan1 = JavaCalendar.jan1(d.year)
        dayOfYear = Int(fixed - jan1 + 1)
        dayOfWeek = JavaCalendar.dayOfWeek(fixed)
        // October 1582 runs on from its Julian 1st: the 15th (the first Gregorian day) is its 5th day.
        let month1 = d.gregorian && d.year == 1582 && d.month == 10 ? JavaCalendar.julianFixed(1582, 10, 1) : fixed - Int64(d.day) + 1
        dayOfWeekInMonth = Int(fixed - month1) / 7 + 1

        func weekNumber(_ day1: Int64, _ date: Int64) -> Int {
            var day1st = JavaCalendar.dayOfWeekOnOrBefore(day1 + 6, locale.firstDayOfWeek)
            if day1st - day1 >= Int64(locale.minimalDaysInFirstWeek) { day1st -= 7 }
            return Int(JavaCalendar.floorDiv(date - day1st, 7) + 1)
        }
        var week = weekNumber(jan1, fixed)
        var weekYear = d.year
        if week == 0 {
            week = weekNumber(JavaCalendar.jan1(d.year - 1), jan1 - 1)
            weekYear -= 1
        } else if week >= 52 {
            let nextJan1 = JavaCalendar.jan1(d.year + 1)
            let nextJan1st = JavaCalendar.dayOfWeekOnOrBefore(nextJan1 + 6, locale.firstDayOfWeek)
            if nextJan1st - nextJan1 >= Int64(locale.minimalDaysInFirstWeek) && fixed >= nextJan1st - 7 {
                week = 1
                weekYear += 1
            }
        }
        weekOfYear = week
        self.weekYear = weekYear
        weekOfMonth = weekNumber(month1, fixed)
    }
}
