import Foundation

/// A time zone as Java's `java.util.TimeZone` presents it to `SimpleDateFormat` and `Date.toString`:
/// the zone's offsets at an instant split into the raw (standard) offset and the daylight saving
/// offset, and the JDK's English names for it (`JavaTimeZoneNames.swift`, generated from the JDK).
///
/// Offsets come from the system's time zone database (through Foundation); the names from the JDK.
/// A zone ID the JDK does not know prints as Java prints a custom zone, `GMT+05:30`.
package struct JavaTimeZone: Sendable, Hashable {
    package let id: String
    /// A zone with one offset forever (UTC, GMT, `GMT+hh:mm`), in milliseconds.
    private let fixedOffset: Int?
    private let zone: TimeZone?

    package static let utc = JavaTimeZone(id: "UTC", fixedOffset: 0, zone: nil)

    /// The time zone database's zone (nil for fixed offsets).
    var foundationZone: TimeZone? { zone }

    private init(id: String, fixedOffset: Int?, zone: TimeZone?) {
        self.id = id
        self.fixedOffset = fixedOffset
        self.zone = zone
    }

    /// The zone with a Java ID (`UTC`, `America/New_York`, …); nil when the system does not know it.
    package init?(id: String) {
        if id == "UTC" || id == "GMT" || id == "Etc/UTC" || id == "Etc/GMT" || id == "Z" {
            self.init(id: id, fixedOffset: 0, zone: nil)
            return
        }
        guard let zone = TimeZone(identifier: id) else { return nil }
        self.init(id: id, fixedOffset: nil, zone: zone)
    }

    /// The JVM's default zone as Java chooses it: `TZ`, else the system's zone; UTC when unknown.
    package static let `default`: JavaTimeZone = {
        if let tz = ProcessInfo.processInfo.environment["TZ"], !tz.isEmpty {
            let id = tz.hasPrefix(":") ? String(tz.dropFirst()) : tz
            if let zone = JavaTimeZone(id: id) { return zone }
        }
        return JavaTimeZone(id: TimeZone.current.identifier) ?? .utc
    }()

    /// Raw (standard) offset and daylight saving offset at an instant, in milliseconds — Java's
    /// `ZONE_OFFSET` and `DST_OFFSET`.
    ///
    /// Like the JDK's `ZoneInfo`, whose transition table starts at 1900-01-01T00:00Z: from then on
    /// the time zone database's offsets (local mean times included), before it the zone's current
    /// standard offset.
    package func offsets(atUTC millis: Int64) -> (raw: Int, dst: Int) {
        if let fixedOffset { return (fixedOffset, 0) }
        guard let zone else { return (0, 0) }
        if millis < JavaTimeZone.utc1900 { return (currentRawOffset, 0) }
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        let total = zone.secondsFromGMT(for: date) * 1000
        let dst = Int(zone.daylightSavingTimeOffset(for: date) * 1000)
        return (total - dst, dst)
    }

    /// 1900-01-01T00:00Z in milliseconds: where the JDK's zone histories start.
    static let utc1900: Int64 = -2_208_988_800_000

    /// The zone's standard offset now (Java's `getRawOffset`), in milliseconds.
    private var currentRawOffset: Int {
        guard let zone else { return fixedOffset ?? 0 }
        let now = Date()
        return (zone.secondsFromGMT(for: now) - Int(zone.daylightSavingTimeOffset(for: now))) * 1000
    }

    /// The offsets that apply to a local (wall clock) time, as Java's `getOffsetsByWall` finds them.
    package func offsets(atWall local: Int64) -> (raw: Int, dst: Int) {
        if let fixedOffset { return (fixedOffset, 0) }
        let guess = offsets(atUTC: local)
        let first = offsets(atUTC: local - Int64(guess.raw + guess.dst))
        return offsets(atUTC: local - Int64(first.raw + first.dst))
    }

    /// Java's `getDSTSavings`: the daylight saving amount of the zone's current rules (0 without DST).
    package var dstSavings: Int {
        guard let zone else { return 0 }
        let now = Date()
        var most = 0.0
        for month in 0..<12 {
            most = max(most, zone.daylightSavingTimeOffset(for: now.addingTimeInterval(Double(month) * 30.5 * 86_400)))
        }
        return Int(most * 1000)
    }

    /// Every zone ID with JDK names, sorted (the order the JDK searches zone names in when parsing).
    static let namedIDs: [String] = names["en_US"]!.keys.sorted()

    /// Java's display name in a locale: `z` (short) or `zzzz` (long), standard or daylight.
    package func displayName(daylight: Bool, long: Bool, totalOffset: Int, locale: JavaLocale = .us) -> String {
        if let names = JavaTimeZone.names[locale.tag]?[id] ?? JavaTimeZone.names["en_US"]![id] {
            switch (daylight, long) {
            case (false, false): return names.0
            case (true, false): return names.1
            case (false, true): return names.2
            case (true, true): return names.3
            }
        }
        return JavaTimeZone.customID(totalOffset)
    }

    /// Java's custom zone ID for an offset: `GMT+05:30`, `GMT-08:00`.
    static func customID(_ offsetMillis: Int) -> String {
        let minutes = offsetMillis / 60_000
        let sign = minutes < 0 ? "-" : "+"
        let m = abs(minutes)
        return "GMT" + sign + twoDigits(m / 60) + ":" + twoDigits(m % 60)
    }

    static func twoDigits(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    package static func == (a: JavaTimeZone, b: JavaTimeZone) -> Bool { a.id == b.id }
    package func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
