public import ConnectKit
import ConnectTransforms
import Synchronization

/// The transformations of one connector, built from Kafka's `transforms` / `predicates` keys and
/// applied in order (`org.apache.kafka.connect.runtime.TransformationChain`).
///
/// ```properties
/// transforms=addSource,onlyOrders
/// transforms.addSource.type=org.apache.kafka.connect.transforms.InsertField$Value
/// transforms.addSource.static.field=source
/// transforms.addSource.static.value=shop
/// transforms.addSource.predicate=isOrders
/// transforms.addSource.negate=false
/// predicates=isOrders
/// predicates.isOrders.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches
/// predicates.isOrders.pattern=orders.*
/// ```
///
/// Each transformation gets the keys under `transforms.<alias>.` with the prefix removed; a stage
/// with a predicate applies only when `predicate.test(record) != negate`. Configuration problems of
/// every alias are reported at once, each named by its full key (`transforms.addSource.static.field`).
public struct TransformChain: Sendable {
    /// One configured transformation.
    public final class Stage: Sendable {
        /// The alias from `transforms`.
        public let alias: String
        /// The class name it was configured with.
        public let className: String
        /// The configured transformation.
        public let transformation: any Transformation
        /// The predicate deciding which records it applies to (`transforms.<alias>.predicate`), if any.
        public let predicate: (any Predicate)?
        /// `transforms.<alias>.negate`.
        public let negate: Bool

        /// A stage: `transformation` under `alias` (Java class `className`), applied where `predicate` holds (or does not, with `negate`).
        public init(alias: String, className: String, transformation: any Transformation, predicate: (any Predicate)?, negate: Bool) {
            self.alias = alias
            self.className = className
            self.transformation = transformation
            self.predicate = predicate
            self.negate = negate
        }

        /// Whether this stage applies to the record.
        public func applies<R: ConnectRecord>(to record: R) -> Bool {
            guard let predicate else { return true }
            return predicate.test(record) != negate
        }
    }

    /// The stages in `transforms` order.
    public let stages: [Stage]
    /// When every stage can run fused (Kafka's field-level transformations, no predicates): the
    /// programs per value schema.
    let fused: FusedPrograms?

    /// A chain that changes nothing.
    public static let empty = TransformChain(stages: [])

    public var isEmpty: Bool { stages.isEmpty }

    /// A chain of stages, applied in order.
    public init(stages: [Stage]) {
        self.stages = stages
        fused = !stages.isEmpty && stages.allSatisfy({ $0.predicate == nil && $0.transformation is any FusableTransformation })
            ? FusedPrograms(stages) : nil
    }

    /// Whether records with struct values run through the fused fast path.
    public var isFused: Bool { fused != nil }

    /// Builds the chain from a connector configuration, checking every alias, type and key.
    public init(config: [String: String], registry: PluginRegistry) throws(ConfigError) {
        var problems: [ConfigProblem] = []
        let aliases = Self.list(config["transforms"])
        let predicateAliases = Self.list(config["predicates"])
        // Kafka's ConnectorConfig checks, with its messages.
        for (key, list) in [("transforms", aliases), ("predicates", predicateAliases)] where Set(list).count != list.count {
            problems.append(ConfigProblem(key: key, message: "Invalid value [\(list.joined(separator: ", "))] for configuration \(key): Duplicate alias provided."))
        }

        var predicates: [String: any Predicate] = [:]
        for alias in predicateAliases {
            let prefix = "predicates.\(alias)."
            guard let entry = Self.resolve(prefix, config, registry.predicates, kind: "Predicate", into: &problems) else { continue }
            do { predicates[alias] = try entry.plugin.init(configuration: Self.scoped(config, prefix)) } catch {
                problems += Self.prefixed(error, prefix)
            }
        }

        var stages: [Stage] = []
        for alias in aliases {
            let prefix = "transforms.\(alias)."
            var predicate: (any Predicate)? = nil
            if let name = config[prefix + "predicate"]?.trimmingWhitespace(), !name.isEmpty {
                if let p = predicates[name] {
                    predicate = p
                } else if !predicateAliases.contains(name) {
                    problems.append(ConfigProblem(
                        key: prefix + "predicate",
                        message: "Invalid value \(name) for configuration \(prefix)predicate: Predicate alias \(name) is not defined in predicates"))
                }
            }
            var negate = false
            if config[prefix + "negate"] != nil, (config[prefix + "predicate"] ?? "").trimmingWhitespace().isEmpty {
                // Kafka reports it on the alias's type key.
                problems.append(ConfigProblem(
                    key: prefix + "type",
                    message: "Config '\(prefix)negate' was provided but there is no config '\(prefix)predicate' defining a predicate to be negated."))
            }
            if let text = config[prefix + "negate"]?.trimmingWhitespace(), !text.isEmpty {
                switch text.lowercased() {
                case "true": negate = true
                case "false": negate = false
                default:
                    problems.append(ConfigProblem(key: prefix + "negate", message: "Invalid value \(text) for configuration \(prefix)negate: Expected value to be either true or false"))
                }
            }
            guard let entry = Self.resolve(prefix, config, registry.transformations, kind: "Transformation", into: &problems) else { continue }
            do {
                let transformation = try entry.plugin.init(configuration: Self.scoped(config, prefix, dropping: ["type", "predicate", "negate"]))
                stages.append(Stage(alias: alias, className: entry.javaClassName, transformation: transformation, predicate: predicate, negate: negate))
            } catch {
                problems += Self.prefixed(error, prefix)
            }
        }
        if !problems.isEmpty { throw ConfigError(problems, context: config["name"]) }
        self.init(stages: stages)
    }

    /// Runs a fused program on a record: the value moves out (or is copied when shared), every step
    /// works on its values, and the record is rewritten once.
    private static func runFused<T: FusedRewritable & ConnectRecord>(_ record: inout T, _ program: FusedPrograms.Program) throws {
        let (value, unique) = record.takeValueForRewrite()
        guard case .struct(let s) = consume value else { return }
        var values = (consume s).intoValues()
        values.reserveCapacity(program.capacity)  // one buffer for every step (a copy if it was shared)
        var state = FusedRecord(
            values: consume values, topic: record.topic, kafkaPartition: record.kafkaPartition, timestamp: record.timestamp,
            offset: record.fusedOffset)
        try program.steps.withUnsafeBufferPointer { steps in
            for i in steps.indices { try steps[i].run(&state) }
        }
        record.rewrite(
            topic: state.topic, valueSchema: program.output, value: .struct(Struct(unchecked: program.output, values: state.takeValues())),
            keySchema: state.keySchema, key: state.key, unique: unique)
    }

    /// Whether the value is a struct of this schema (checked here so that no reference to the
    /// struct outlives the check: the fused path changes a uniquely held struct in place).
    private static func isStruct(_ value: ConnectKit.Value, of schema: Schema) -> Bool {
        guard case .struct(let s) = value else { return false }
        return s.schema === schema || s.schema == schema
    }

    /// Applies every stage in order; `nil` when a stage drops the record.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        // Fast path for the runtime's record types: every stage works on the value struct's values,
        // prepared once per schema; the record and its values are changed in place, once. Other
        // record types run stage by stage (same result), and so do records whose struct has another
        // schema than the record's (the steps read values by the record's schema).
        let sink = R.self == SinkRecord.self
        if let fused, sink || R.self == SourceRecord.self, let schema = record.valueSchema, schema.type == .struct,
            Self.isStruct(record.value, of: schema), let program = fused.program(schema, sinkRecord: sink)
        {
            var out = consume record
            try withUnsafeMutablePointer(to: &out) { p in
                if sink {
                    try p.withMemoryRebound(to: SinkRecord.self, capacity: 1) { try Self.runFused(&$0.pointee, program) }
                } else {
                    try p.withMemoryRebound(to: SourceRecord.self, capacity: 1) { try Self.runFused(&$0.pointee, program) }
                }
            }
            return out
        }
        return try applyStageByStage(record)
    }

    /// Applies every stage in order, each on the previous stage's output (no fused program): what
    /// ``apply(_:)`` does when a predicate or a transformation outside Kafka's field-level ones is in
    /// the chain. The record moves from stage to stage, so a stage that holds the only reference
    /// changes it in place. `nil` when a stage drops the record.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func applyStageByStage<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        var current = consume record
        for stage in stages {
            if let p = stage.predicate, p.test(current) == stage.negate { continue }
            guard let next = try stage.transformation.apply(consume current) else { return nil }
            current = next
        }
        return current
    }

    /// Closes every transformation and predicate.
    public func close() {
        for s in stages {
            s.transformation.close()
            s.predicate?.close()
        }
    }

    private static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    private static func resolve<T>(
        _ prefix: String, _ config: [String: String], _ catalog: PluginRegistry.Catalog<T>, kind: String, into problems: inout [ConfigProblem]
    ) -> PluginRegistry.Entry<T>? {
        guard let className = config[prefix + "type"]?.trimmingWhitespace(), !className.isEmpty else {
            problems.append(ConfigProblem(key: prefix + "type", message: "Missing required configuration \"\(prefix)type\" which has no default value."))
            return nil
        }
        guard let entry = catalog.lookup(className) else {
            problems.append(ConfigProblem(
                key: prefix + "type", message: "Invalid value \(className) for configuration \(prefix)type: Class \(className) could not be found."))
            return nil
        }
        return entry
    }

    private static func scoped(_ config: [String: String], _ prefix: String, dropping: Set<String> = ["type"]) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in config where k.hasPrefix(prefix) {
            let key = String(k.dropFirst(prefix.count))
            if !dropping.contains(key) { out[key] = v }
        }
        return out
    }

    /// A transformation's own problems, renamed to the full keys the user wrote.
    private static func prefixed(_ error: ConfigError, _ prefix: String) -> [ConfigProblem] {
        error.problems.map { p in
            ConfigProblem(key: p.key.isEmpty ? String(prefix.dropLast()) : (p.key.hasPrefix(prefix) ? p.key : prefix + p.key),
                          message: p.message.replacing("configuration \(p.key)", with: "configuration \(prefix)\(p.key)"))
        }
    }
}

/// The fused programs of a chain, per value schema (Kafka's 16-entry schema caches, in one).
final class FusedPrograms: Sendable {
    final class Program: Sendable {
        let steps: [FusedStep]
        let output: Schema
        /// The most fields any step's values have.
        let capacity: Int

        init(steps: [FusedStep], output: Schema, capacity: Int) {
            self.steps = steps
            self.output = output
            self.capacity = capacity
        }
    }

    /// A cached program for one value schema; entries live as long as the chain (at most 64).
    final class Entry: Sendable {
        let schema: Schema
        let sink: Bool
        let program: Program?
        init(schema: Schema, sink: Bool, program: Program?) {
            self.schema = schema
            self.sink = sink
            self.program = program
        }
    }

    private let stages: [any FusableTransformation]
    private let cache = Mutex<[Entry]>([])
    /// The entry that answered last (its address), read without a lock: records of a batch nearly
    /// always share their schema. Entries are never freed while the chain lives, so the address stays valid.
    private let last = Atomic<UInt>(0)
    static let maxEntries = 64

    init(_ stages: [TransformChain.Stage]) {
        self.stages = stages.map { $0.transformation as! any FusableTransformation }
    }

    /// The program for records with this value schema; nil when some stage cannot run fused for it
    /// (then the stages run one by one, with their own errors).
    func program(_ schema: Schema, sinkRecord: Bool) -> Program? {
        let bits = last.load(ordering: .acquiring)
        if bits != 0 {
            let hit = Unmanaged<Entry>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!)._withUnsafeGuaranteedRef { e in
                e.schema === schema && e.sink == sinkRecord ? e : nil
            }
            if let hit { return hit.program }
        }
        if let hit = cache.withLock({ c in c.first { $0.schema === schema && $0.sink == sinkRecord } }) {
            last.store(UInt(bitPattern: Unmanaged.passUnretained(hit).toOpaque()), ordering: .releasing)
            return hit.program
        }
        var steps: [FusedStep] = []
        var current = schema
        var capacity = schema.fields.count
        var program: Program? = nil
        do {
            for stage in stages {
                guard let step = try stage.fusedStep(valueSchema: current, sinkRecord: sinkRecord) else { throw DataError("not fusable") }
                steps.append(step)
                current = step.output
                capacity = max(capacity, current.fields.count)
            }
            program = Program(steps: steps, output: current, capacity: capacity)
        } catch {
            program = nil
        }
        let entry = Entry(schema: schema, sink: sinkRecord, program: program)
        let kept = cache.withLock { c in
            guard c.count < Self.maxEntries else { return false }
            c.append(entry)
            return true
        }
        if kept { last.store(UInt(bitPattern: Unmanaged.passUnretained(entry).toOpaque()), ordering: .releasing) }
        return program
    }
}
