import ConnectKit

// `make run` demo. The pipeline runtime (source → transforms → sink) arrives with the runtime issue;
// until then this shows the core: a schema, a struct, and Kafka-compatible JSON both ways.

let schema = try SchemaBuilder.struct().name("shop.orders.Value")
    .field("id", .int64)
    .field("customer", .string)
    .field("email", .optionalString)
    .field("amount", .decimal(scale: 2))
    .field("created_at", .timestamp)
    .field("tags", .array(.string))
    .build()

var order = try Struct(schema)
try order.put("id", .int64(42))
try order.put("customer", "ada")
try order.put("amount", .decimal(BigDecimal("19.99")!))
try order.put("created_at", .timestamp(1_700_000_000_000))
try order.put("tags", ["gift", "express"])

for schemasEnabled in [true, false] {
    let converter = JSONConverter(schemasEnabled: schemasEnabled)
    let bytes = try converter.fromConnectData(topic: "orders", schema: schema, value: .struct(order))!
    print("JsonConverter (schemas.enable=\(schemasEnabled)):")
    print("  " + String(decoding: bytes, as: UTF8.self))
    let back = try converter.toConnectData(topic: "orders", value: bytes)
    print("  read back: \(back.value)")
}
print("ConnectKit: no pipeline yet — the embedded runtime and the `connect standalone` CLI come next.")
