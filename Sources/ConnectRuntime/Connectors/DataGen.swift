public import ConnectKit

/// A data generator source in the spirit of kafka-connect-datagen: order records of the shape
/// `shop.orders.Value` (id, customer, email, quantity, price, paid, created_at, amount, tags, note).
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `kafka.topic` | `orders` | topic to write to |
/// | `iterations` | `-1` | records to produce per task (-1: without end) |
/// | `rate` | `0` | records per second per task (0: as fast as possible) |
/// | `max.interval` | `0` | the largest pause in milliseconds between batches |
/// | `batch.size` | `1000` | records per poll |
/// | `seed` | `0` | 0 gives the deterministic benchmark sequence; another value varies the field values reproducibly |
///
/// The source partition is `{"datagen": <task>}` and the offset `{"iteration": n}`, so a restarted
/// generator continues where its committed offset left off.
public final class DataGenConnector: SourceConnector {
    private var config: [String: String] = [:]
    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public var taskType: any SourceTask.Type { DataGenTask.self }

    public var configDef: ConfigDef {
        ConfigDef()
            .define("kafka.topic", .string, default: "orders", importance: .high, documentation: "Topic to write to.", validator: .nonEmptyString)
            .define("iterations", .long, default: -1, importance: .medium, documentation: "Records to produce per task; -1 for no end.", validator: .atLeast(-1))
            .define("rate", .double, default: 0.0, importance: .medium, documentation: "Records per second per task; 0 for as fast as possible.", validator: .atLeast(0))
            .define("max.interval", .long, default: 0, importance: .low, documentation: "Largest pause between batches in milliseconds.", validator: .atLeast(0))
            .define("batch.size", .int, default: 1000, importance: .low, documentation: "Records per poll.", validator: .atLeast(1))
            .define("seed", .long, default: 0, importance: .low, documentation: "0: the deterministic benchmark sequence; otherwise varies values reproducibly.")
    }

    public func start(_ config: [String: String]) async throws {
        _ = try configDef.parse(config)
        self.config = config
    }

    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        (0..<maxTasks).map { config.merging(["datagen.task": String($0)]) { $1 } }
    }

    public func stop() async throws {}
}

/// The task of ``DataGenConnector``: generates the orders.
public final class DataGenTask: SourceTask {
    private var context: (any SourceTaskContext)?
    private var topic = "orders"
    private var iterations: Int64 = -1
    private var rate = 0.0
    private var maxInterval: Int64 = 0
    private var batchSize = 1000
    private var seed: UInt64 = 0
    private var next: Int64 = 0
    private var partition: [String: Value] = [:]
    private var started = ContinuousClock.now
    private var producedSinceStart: Int64 = 0

    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public func initialize(context: any SourceTaskContext) { self.context = context }

    public func start(_ config: [String: String]) async throws {
        let c = try DataGenConnector().configDef.parse(config)
        topic = c.string("kafka.topic")!
        iterations = c.long("iterations")!
        rate = c.double("rate")!
        maxInterval = c.long("max.interval")!
        batchSize = Int(c.int("batch.size")!)
        seed = UInt64(bitPattern: c.long("seed")!)
        partition = ["datagen": .string(config["datagen.task"] ?? "0")]
        if let o = try await context?.offsetStorageReader.offset(for: partition), let n = o["iteration"]?.int64Value { next = n + 1 }
        started = ContinuousClock.now
    }

    public func poll() async throws -> [SourceRecord] {
        var count = Int64(batchSize)
        if iterations >= 0 { count = min(count, iterations - next) }
        if count <= 0 {
            try await Task.sleep(for: .milliseconds(100))
            return []
        }
        if rate > 0 {
            // Stay on schedule: produce only what the rate allows by now (at least one record).
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let allowed = Int64(seconds * rate) - producedSinceStart
            if allowed <= 0 {
                try await Task.sleep(for: .milliseconds(max(1, Int64(1000 / rate))))
                return []
            }
            count = min(count, allowed)
        }
        if maxInterval > 0 { try await Task.sleep(for: .milliseconds(Int64.random(in: 0...maxInterval))) }
        var out: [SourceRecord] = []
        out.reserveCapacity(Int(count))
        for k in next..<(next + count) {
            let v = DataGen.order(k, seed: seed)
            out.append(SourceRecord(
                sourcePartition: partition, sourceOffset: ["iteration": .int64(k)], topic: topic,
                keySchema: .int64, key: .int64(k), valueSchema: DataGen.ordersSchema, value: v,
                timestamp: 1_700_000_000_000 + k * 1000))
        }
        next += count
        producedSinceStart += count
        return out
    }

    public func stop() async throws {}
}

/// The order record shape used by the data generator and the benchmarks.
public enum DataGen {
    /// `shop.orders.Value`.
    public static let ordersSchema: Schema = try! SchemaBuilder.struct().name("shop.orders.Value")
        .field("id", .int64)
        .field("customer", .string)
        .field("email", .optionalString)
        .field("quantity", .int32)
        .field("price", .float64)
        .field("paid", .boolean)
        .field("created_at", .timestamp)
        .field("amount", .decimal(scale: 2))
        .field("tags", .array(.string))
        .field("note", .optionalString)
        .build()

    /// Order number `i`. With seed 0 the fields follow the benchmark definition exactly; another
    /// seed derives them from a reproducible hash of `(seed, i)` instead (the id stays `i`).
    public static func order(_ i: Int64, seed: UInt64 = 0) -> Value {
        var j = i
        if seed != 0 {
            var z = seed &+ UInt64(bitPattern: i) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            j = Int64(bitPattern: (z ^ (z >> 31)) >> 1)
        }
        let values: [Value] = [
            .int64(i),
            // Concatenating small strings keeps them inline (no allocation); interpolation reserves storage.
            .string("customer-" + String(j % 9973)),
            j % 3 == 0 ? .null : .string("user" + String(j) + "@example.com"),
            .int32(Int32(j % 17)),
            .float64(Double(j % 1000) * 1.25),
            .boolean(j % 2 == 0),
            .timestamp(1_700_000_000_000 + i * 1000),
            .decimal(BigDecimal(unscaled: j % 100_000, scale: 2)),
            .array(["a", .string("b" + String(j % 5))]),
            j % 10 == 0 ? .string("gift \"wrap\" é") : .null,
        ]
        return .struct(Struct(unchecked: ordersSchema, values: values))
    }
}
