import Testing

@testable import ConnectKit

@Suite("Hex text")
struct HexTests {
    @Test("bytes round-trip through hex text; either case decodes; odd lengths and non-digits are nil")
    func roundTrip() {
        let bytes: [UInt8] = [0x00, 0x0A, 0x7F, 0x80, 0xED, 0xFF]
        #expect(Hex.lowercase(bytes) == "000a7f80edff")
        #expect(Hex.bytes("000a7f80edff") == bytes)
        #expect(Hex.bytes("000A7F80EDFF") == bytes)
        #expect(Hex.bytes("") == [])
        #expect(Hex.bytes("abc") == nil)
        #expect(Hex.bytes("0g") == nil)
        #expect(Hex.bytes("+1") == nil)
    }
}
