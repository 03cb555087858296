import ConnectKit
import Synchronization

/// The last day a day-resolution format (`yyyyMMdd`, `YYYY-ww`, … in UTC) formatted, so that a batch
/// of records from one day formats once.
final class LastFormatted: Sendable {
    private let last = Mutex<(day: Int64, text: String)?>(nil)

    func get(_ millis: Int64, _ format: JavaDateFormat) -> String {
        guard format.isDayResolution else { return format.format(millis) }
        let day = dayNumber(millis)
        if let (d, t) = last.withLock({ $0 }), d == day { return t }
        let text = format.format(millis)
        last.withLock { $0 = (day, text) }
        return text
    }
}

/// The last topic TimestampRouter produced, for the next record of the same topic and day.
final class LastRoute: Sendable {
    private let last = Mutex<(topic: String, day: Int64, routed: String)?>(nil)

    func hit(_ topic: String, _ ms: Int64, _ format: JavaDateFormat) -> String? {
        guard format.isDayResolution else { return nil }
        let day = dayNumber(ms)
        return last.withLock { l in
            guard let l, l.day == day, l.topic == topic else { return nil }
            return l.routed
        }
    }

    func remember(_ topic: String, _ ms: Int64, _ routed: String, _ format: JavaDateFormat) {
        guard format.isDayResolution else { return }
        last.withLock { $0 = (topic, dayNumber(ms), routed) }
    }
}

/// Days since 1970-01-01 (UTC), rounded down.
private func dayNumber(_ ms: Int64) -> Int64 { ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000 }

extension JavaDateFormat {
    /// `new SimpleDateFormat(pattern)` with the time zone set to UTC, as Kafka's TimestampConverter
    /// and TimestampRouter make theirs (the JVM's locale is en_US here).
    /// - Throws: ``ConfigError`` for `key` with Java's message when the pattern does not compile.
    init(utcPattern pattern: String, key: String) throws(ConfigError) {
        do { try self.init(pattern, zone: .utc, locale: .us) } catch {
            throw ConfigError(key: key, message: "Invalid value \(pattern) for configuration \(key): \(error.javaMessage)")
        }
    }
}
