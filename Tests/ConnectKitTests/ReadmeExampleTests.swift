import Testing

import ConnectKit

/// The README's example, kept compiling and true.
@Test func readmeExample() throws {
    let schema = try SchemaBuilder.struct().name("shop.orders.Value")
        .field("id", .int64).field("email", .optionalString).field("amount", .decimal(scale: 2))
        .build()
    var order = try Struct(schema)
    try order.put("id", .int64(42))
    try order.put("amount", .decimal(BigDecimal("19.99")!))
    let bytes = try JSONConverter().fromConnectData(topic: "orders", schema: schema, value: .struct(order))
    let back = try JSONConverter().toConnectData(topic: "orders", value: bytes)
    #expect(back.schema == schema)
    #expect(back.value == .struct(order))
    let text = String(decoding: bytes!, as: UTF8.self)
    #expect(text.hasSuffix(#""payload":{"id":42,"email":null,"amount":"B88="}}"#))
    #expect(text.hasPrefix(#"{"schema":{"type":"struct","fields":["#))
}
