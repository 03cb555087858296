/// A small least-recently-used cache (Kafka's `LRUCache` semantics: a capacity of 0 caches nothing).
/// Not thread-safe by itself; converters keep it inside a `Mutex`.
package struct LRUCache<Key: Hashable, Value> {
    private var entries: [Key: (value: Value, tick: UInt64)] = [:]
    private var tick: UInt64 = 0
    package let capacity: Int

    package init(capacity: Int) { self.capacity = max(0, capacity) }

    package var count: Int { entries.count }

    package subscript(key: Key) -> Value? {
        mutating get {
            guard let e = entries[key] else { return nil }
            tick &+= 1
            entries[key] = (e.value, tick)
            return e.value
        }
        set {
            guard capacity > 0 else { return }
            guard let newValue else { entries[key] = nil; return }
            tick &+= 1
            if entries[key] == nil, entries.count >= capacity,
                let oldest = entries.min(by: { $0.value.tick < $1.value.tick })?.key
            {
                entries[oldest] = nil
            }
            entries[key] = (newValue, tick)
        }
    }
}
extension LRUCache: Sendable where Key: Sendable, Value: Sendable {}
