package import ConnectKit

/// Where a record's object goes inside its topic's directory — Confluent's storage-common
/// partitioners (`partitioner.class`), which all of Confluent's storage sinks share.
public enum S3Partitioner: Sendable {
    /// `io.confluent.connect.storage.partitioner.DefaultPartitioner`: `partition=<kafka partition>`.
    case `default`
    /// `…FieldPartitioner` with `partition.field.name`: `<field>=<value>` per field, joined with
    /// `directory.delim` (dotted names reach into nested structs).
    case field([String])
    /// `…TimeBasedPartitioner`, `…DailyPartitioner`, `…HourlyPartitioner`: the start of the record's
    /// time bucket printed with `path.format`.
    case timeBased(S3TimeBasedPartitioning)

    /// The partitioners' class names.
    static let defaultClass = "io.confluent.connect.storage.partitioner.DefaultPartitioner"
    static let fieldClass = "io.confluent.connect.storage.partitioner.FieldPartitioner"
    static let timeBasedClass = "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"
    static let dailyClass = "io.confluent.connect.storage.partitioner.DailyPartitioner"
    static let hourlyClass = "io.confluent.connect.storage.partitioner.HourlyPartitioner"
    static let classes = [defaultClass, fieldClass, timeBasedClass, dailyClass, hourlyClass]

    /// The time-based settings, when the partitioner is time based.
    public var timeBased: S3TimeBasedPartitioning? {
        if case .timeBased(let t) = self { return t }
        return nil
    }
}

/// Where a record's time comes from (`timestamp.extractor`).
public enum S3TimestampExtractor: Sendable, Equatable {
    /// `Wallclock`: the time the sink handles the batch (one time for a whole `put`).
    case wallclock
    /// `Record`: the Kafka record's timestamp.
    case record
    /// `RecordField` with `timestamp.field`: a field of the value (a struct or a map; dotted names
    /// reach into nested ones): an integer (epoch milliseconds), a Connect `Timestamp`, or a string —
    /// all digits as epoch milliseconds, else ISO-8601 as Joda's `ISODateTimeFormat.dateTimeParser()`
    /// reads it (without an offset, in the process's time zone, as the JVM's default zone).
    case recordField(String)
}

/// The settings of a time-based partitioner: `partition.duration.ms`, `path.format`, `locale`,
/// `timezone` and `timestamp.extractor`, as Confluent's `TimeBasedPartitioner` reads them.
public struct S3TimeBasedPartitioning: Sendable {
    /// `partition.duration.ms`: the bucket width in milliseconds (Daily: a day; Hourly: an hour).
    public let durationMs: Int64
    /// `path.format` (a Joda-Time pattern; a trailing `directory.delim` removed).
    public let pathFormat: String
    /// `timezone` as given (a Joda zone ID or `±hh:mm`).
    public let timezone: String
    /// `timestamp.extractor`.
    public let extractor: S3TimestampExtractor
    let format: JodaDateTimeFormat
    let zone: JodaZone

    /// The bucket a time falls in, as `TimeBasedPartitioner.getPartition`: buckets are aligned to
    /// the local epoch of `timezone` (`(local / duration) * duration`, truncating as Java's `/`),
    /// converted back to UTC as Joda's `convertLocalToUTC(…, false)`.
    public func bucket(_ timestamp: Int64) -> Int64 {
        let local = zone.utcToLocal(timestamp)
        return zone.localToUTC(local / durationMs * durationMs)
    }

    /// The encoded partition of a time: its bucket's start printed with `path.format` in `timezone`.
    public func encode(_ timestamp: Int64) -> String { format.print(bucket(timestamp), zone: zone) }

    /// The next scheduled rotation after `now` (`rotate.schedule.interval.ms`): the next multiple of
    /// `interval` counted from the start of the local day in `zone`, capped at the next day's start —
    /// storage-common's `DateTimeUtils.getNextTimeAdjustedByDay`.
    package static func nextScheduledRotation(now: Int64, interval: Int64, zone: JodaZone) -> Int64 {
        let start = zone.startOfDay(now)
        // The local day's length: from its start to the next day's start (23, 24 or 25 hours).
        let nextStart = zone.startOfDay(start + 36 * 3_600_000)
        let day = nextStart > start ? nextStart - start : 86_400_000
        let offset = min(((now - start) / interval + 1) * interval, day)
        return start + offset
    }

    /// The record's time (`TimestampExtractor.extract`).
    ///
    /// - Throws: `DataError` naming the record and the extractor for a record without a timestamp, a
    ///   value that is not a struct or map, or a field that is missing or not a time.
    func timestamp(of r: SinkRecord, now: Int64) throws(DataError) -> Int64 {
        switch extractor {
        case .wallclock: return now
        case .record:
            guard let ts = r.timestamp else {
                throw DataError("Unable to determine timestamp using timestamp.extractor Record for record \(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset): it has no timestamp", topic: r.topic)
            }
            return ts
        case .recordField(let name):
            func fail(_ why: String) -> DataError {
                DataError("Unable to determine timestamp using timestamp.extractor RecordField from timestamp.field \(name) of record \(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset): \(why)", topic: r.topic)
            }
            var current = r.value
            var schema = r.valueSchema
            for segment in name.split(separator: ".", omittingEmptySubsequences: false) {
                switch current {
                case .struct(let s):
                    guard let field = s.schema.field(String(segment)) else { throw fail("\(segment) is not a field of the value") }
                    schema = field.schema
                    current = s[String(segment)] ?? .null
                case .map(let entries):
                    guard let v = entries[.string(String(segment))] else { throw fail("the map has no key \(segment)") }
                    schema = nil
                    current = v
                default:
                    throw fail("the value is \(current.kindName), not a struct or a map")
                }
            }
            switch current {
            case .int8(let v): return Int64(v)
            case .int16(let v): return Int64(v)
            case .int32(let v): return Int64(v)
            case .int64(let v): return v
            case .float32(let v) where schema == nil: return Int64(v)
            case .float64(let v) where schema == nil: return Int64(v)
            case .timestamp(let ms): return ms
            case .string(let text):
                // Confluent's ^-?[0-9]{1,19}$: epoch milliseconds.
                let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
                if !digits.isEmpty, digits.utf8.count <= 19, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    guard let ms = Int64(text) else { throw fail("\(text) is out of range") }
                    return ms
                }
                guard let ms = JodaISODateTimeParser.parseMillis(text, zone: S3TimeBasedPartitioning.defaultZone) else {
                    throw fail("Invalid format: \"\(text)\" is not an ISO-8601 date-time")
                }
                return ms
            case .null: throw fail("the field is null")
            default: throw fail("a field of type \(current.kindName) is not a timestamp")
            }
        }
    }

    /// The JVM's default zone as Joda would take it: `TZ`, else the system's zone.
    static let defaultZone: JodaZone = JodaZone(id: JavaTimeZone.default.id) ?? .utc

    init(durationMs: Int64, pathFormat: String, timezone: String, zone: JodaZone, format: JodaDateTimeFormat, extractor: S3TimestampExtractor) {
        self.durationMs = durationMs
        self.pathFormat = pathFormat
        self.timezone = timezone
        self.zone = zone
        self.format = format
        self.extractor = extractor
    }
}

extension S3Partitioner {
    /// Reads `partitioner.class` and its keys, as Confluent's partitioners' `configure`.
    ///
    /// - Throws: `ConfigError` naming the key: no field for the FieldPartitioner; for a time-based
    ///   one a negative `partition.duration.ms`, a blank `path.format`, `locale` or `timezone`
    ///   (Confluent's messages), a pattern Joda rejects, an unknown zone, a `locale` other than English
    ///   when `path.format` prints text, an unknown extractor.
    static func parse(_ c: ParsedConfig, directoryDelimiter: String) throws(ConfigError) -> S3Partitioner {
        func bad(_ key: String, _ value: String, _ why: String) -> ConfigError {
            ConfigError(key: key, message: "Invalid value \(value) for configuration \(key): \(why)", context: "S3SinkConnector")
        }
        let className = c.string("partitioner.class") ?? defaultClass
        switch className {
        case fieldClass:
            let fields = (c.list("partition.field.name") ?? []).filter { !$0.isEmpty }
            guard !fields.isEmpty else {
                throw ConfigError(key: "partition.field.name", message: "Invalid value for configuration partition.field.name: FieldPartitioner needs at least one field",
                                  context: "S3SinkConnector")
            }
            if let b = fields.first(where: { $0.split(separator: ".", omittingEmptySubsequences: false).contains { $0.isEmpty } }) {
                throw bad("partition.field.name", b, "empty field name segment")
            }
            return .field(fields)
        case timeBasedClass, dailyClass, hourlyClass:
            var duration = c.long("partition.duration.ms") ?? -1
            var pathFormat = c.string("path.format") ?? ""
            let d = directoryDelimiter
            if className == dailyClass {
                duration = 86_400_000
                pathFormat = "'year'=YYYY" + d + "'month'=MM" + d + "'day'=dd"
            } else if className == hourlyClass {
                duration = 3_600_000
                pathFormat = "'year'=YYYY" + d + "'month'=MM" + d + "'day'=dd" + d + "'hour'=HH"
            }
            if duration < 0 { throw bad("partition.duration.ms", String(duration), "Partition duration needs to be a positive.") }
            if duration == 0 { throw bad("partition.duration.ms", "0", "Partition duration needs to be a positive.") }
            if pathFormat.trimmingWhitespace().isEmpty || pathFormat == d { throw bad("path.format", pathFormat, "Path format cannot be empty.") }
            if !d.trimmingWhitespace().isEmpty, pathFormat.hasSuffix(d) { pathFormat = String(pathFormat.dropLast(d.count)) }
            let locale = (c.string("locale") ?? "").trimmingWhitespace()
            if locale.isEmpty { throw bad("locale", "", "Locale cannot be empty.") }
            let timezone = (c.string("timezone") ?? "").trimmingWhitespace()
            if timezone.isEmpty { throw bad("timezone", "", "Timezone cannot be empty.") }
            guard let zone = JodaZone(id: timezone) else { throw bad("timezone", timezone, "The datetime zone id '\(timezone)' is not recognised") }
            let format: JodaDateTimeFormat
            do throws(JodaPatternError) { format = try JodaDateTimeFormat(pattern: pathFormat) } catch { throw bad("path.format", pathFormat, error.message) }
            let language = locale.split(whereSeparator: { $0 == "_" || $0 == "-" }).first.map { $0.lowercased() } ?? ""
            if format.hasText, language != "en" {
                throw bad("locale", locale, "path.format \(pathFormat) prints month, weekday, AM/PM, era or zone names, which this build knows in English only (locale=en)")
            }
            let extractor: S3TimestampExtractor
            switch c.string("timestamp.extractor") ?? "Wallclock" {
            case "Wallclock", "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$WallclockTimestampExtractor": extractor = .wallclock
            case "Record", "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordTimestampExtractor": extractor = .record
            case "RecordField", "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordFieldTimestampExtractor":
                let field = (c.string("timestamp.field") ?? "timestamp").trimmingWhitespace()
                if field.isEmpty || field.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                    throw bad("timestamp.field", field, "a field name (dotted for nested fields) is needed")
                }
                extractor = .recordField(field)
            case let other:
                throw bad("timestamp.extractor", other, "Wallclock, Record or RecordField (custom extractor classes cannot be loaded)")
            }
            return .timeBased(S3TimeBasedPartitioning(durationMs: duration, pathFormat: pathFormat, timezone: timezone, zone: zone, format: format, extractor: extractor))
        default:
            return .default
        }
    }

    /// The encoded partition of a record (Confluent's `encodePartition`): `partition=<p>`;
    /// `<field>=<value>` per field joined with `delimiter` (integers and booleans as text, strings as
    /// they are, `null`); or the record's time bucket printed with `path.format`.
    ///
    /// - Throws: `DataError` naming the field or record (Confluent's `PartitionException`).
    func encode(_ r: SinkRecord, timestamp: Int64?, delimiter: String) throws(DataError) -> String {
        switch self {
        case .default: return "partition=" + String(r.kafkaPartition ?? 0)
        case .timeBased(let t): return t.encode(timestamp ?? 0)
        case .field(let names):
            guard case .struct(let s) = r.value else {
                throw DataError("Error encoding partition of record \(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset): FieldPartitioner needs a struct value, not \(r.value.kindName)", topic: r.topic)
            }
            var parts: [String] = []
            for name in names {
                var current = Value.struct(s)
                for segment in name.split(separator: ".") {
                    guard case .struct(let inner) = current else {
                        throw DataError("Error encoding partition: \(name) is not a field of a struct", topic: r.topic)
                    }
                    guard let v = inner[String(segment)] else { throw DataError("\(segment) is not a valid field name", topic: r.topic) }
                    current = v
                }
                let text: String
                switch current {
                case .null: text = "null"
                case .int8(let v): text = String(v)
                case .int16(let v): text = String(v)
                case .int32(let v): text = String(v)
                case .int64(let v): text = String(v)
                case .string(let v): text = v
                case .boolean(let v): text = String(v)
                default: throw DataError("Error encoding partition: field \(name) of type \(current.kindName) is not supported", topic: r.topic)
                }
                parts.append(name + "=" + text)
            }
            return parts.joined(separator: delimiter)
        }
    }
}
