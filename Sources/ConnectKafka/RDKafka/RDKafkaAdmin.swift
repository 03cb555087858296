import CRdKafka

/// One librdkafka admin request: its result arrives as an event on a queue of its own, polled (at
/// most 30 s) on the calling thread — which is never Swift's cooperative pool.
enum KafkaAdminRequest {
    /// Runs `request` with a fresh queue and throws the event's error, or the first per-item error
    /// `itemError` finds in the result (with librdkafka's message when it has one).
    static func run(
        _ handle: OpaquePointer, _ what: String, _ request: (OpaquePointer?) -> Void,
        itemError: (OpaquePointer) -> (rd_kafka_resp_err_t, String?)?
    ) throws(KafkaError) {
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        request(queue)
        guard let event = rd_kafka_queue_poll(queue, 30_000) else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue, message: "\(what): no answer in 30 s")
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, what) }
        if let (e, message) = itemError(event), e != RD_KAFKA_RESP_ERR_NO_ERROR {
            var error = KafkaError(e, what)
            if let message, !message.isEmpty { error.message += ": \(message)" }
            throw error
        }
    }
}

/// A topic to create: Kafka Connect's `NewTopic` as `topic.creation.*` describes it.
public struct KafkaNewTopic: Sendable, Hashable {
    /// The topic's name.
    public var name: String
    /// Partitions; -1 for the broker's `num.partitions`.
    public var partitions: Int32
    /// Replicas of each partition; -1 for the broker's `default.replication.factor`.
    public var replicationFactor: Int32
    /// Topic configurations (`cleanup.policy`, `retention.ms`, …).
    public var configs: [String: String]

    /// A topic description.
    public init(name: String, partitions: Int32 = -1, replicationFactor: Int32 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

extension KafkaProducer {
    /// Creates a topic unless it exists (Kafka Connect's `TopicAdmin.createOrFindTopics`). Blocks the
    /// calling thread, at most 30 s.
    /// - Returns: true when this call created it, false when it existed.
    /// - Throws: ``KafkaError`` with the broker's reason (`INVALID_REPLICATION_FACTOR`, …).
    public func createTopic(_ topic: KafkaNewTopic) throws(KafkaError) -> Bool {
        var reason = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(topic.name, topic.partitions, topic.replicationFactor, &reason, reason.count) else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: "Creating topic \(topic.name): " + reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (k, v) in topic.configs.sorted(by: { $0.key < $1.key }) {
            let err = rd_kafka_NewTopic_set_config(newTopic, k, v)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Topic config \(k) of \(topic.name)") }
        }
        var topics: OpaquePointer? = newTopic
        var existed = false
        try KafkaAdminRequest.run(rawHandle, "Creating topic \(topic.name)", { queue in rd_kafka_CreateTopics(rawHandle, &topics, 1, nil, queue) }) { event in
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count), count > 0, let r = results[0] else { return nil }
            let e = rd_kafka_topic_result_error(r)
            if e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                existed = true
                return nil
            }
            return (e, rd_kafka_topic_result_error_string(r).map { String(cString: $0) })
        }
        return !existed
    }
}
