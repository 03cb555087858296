// One libFuzzer entry point for every parser; `FUZZ_TARGET` picks which (scripts/fuzz.sh sets it):
//
//   json-schemas     JsonConverter, schemas.enable=true (envelope, schema parsing, schema-guided reading)
//   json-schemaless  JsonConverter, schemas.enable=false
//   header           SimpleHeaderConverter (Kafka's Values.parseString)
//   properties       Java .properties files (worker and connector files)
//   connector-json   connector configuration files in JSON (create-request or bare map)
//
// Beyond "no crash, no hang, no leak" (the sanitizers), each target checks a property: what reads
// without error writes back, and what that writes reads back to the same bytes.
import CFuzzer
import ConnectKit

#if canImport(Glibc)
import Glibc
#endif

enum Target: String, Sendable {
    case jsonSchemas = "json-schemas", jsonSchemaless = "json-schemaless", header, properties
    case connectorJSON = "connector-json"
}

let target: Target = {
    guard let name = getenv("FUZZ_TARGET").map({ String(cString: $0) }), let t = Target(rawValue: name) else {
        fatalError("set FUZZ_TARGET to json-schemas, json-schemaless, header, properties or connector-json")
    }
    return t
}()
let headers = SimpleHeaderConverter()

/// Fails the run (libFuzzer keeps the input) when `condition` does not hold.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        let line = Array("property violated: \(message())\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }
}

/// A converter per input, so that no cache carries state (or memory) from one input to the next;
/// reading twice goes through the caches' hit paths too.
func roundTrip(schemasEnabled: Bool, _ input: [UInt8]) {
    let converter = JSONConverter(schemasEnabled: schemasEnabled)
    guard let read = try? converter.toConnectData(topic: "fuzz", value: input) else { return }
    let second = try? converter.toConnectData(topic: "fuzz", value: input)
    check(second != nil, "the second read failed where the first succeeded")
    let written: [UInt8]?
    do {
        written = try converter.fromConnectData(topic: "fuzz", schema: read.schema, value: read.value)
    } catch {
        // A schema's default may not be writable for its own schema (Kafka accepts such schemas too).
        return
    }
    guard let written else { return }
    let again: SchemaAndValue
    do { again = try converter.toConnectData(topic: "fuzz", value: written) } catch {
        check(false, "written JSON does not read back: \(error)")
        return
    }
    let rewritten = try? converter.fromConnectData(topic: "fuzz", schema: again.schema, value: again.value)
    check(rewritten == written, "writing is not stable")
}

@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
    }
}

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch target {
    case .jsonSchemas: roundTrip(schemasEnabled: true, input)
    case .jsonSchemaless: roundTrip(schemasEnabled: false, input)
    case .header:
        guard let read = try? headers.toConnectHeader(topic: "fuzz", headerKey: "h", value: input) else { return 0 }
        if let written = try? headers.fromConnectHeader(topic: "fuzz", headerKey: "h", schema: read.schema, value: read.value) {
            _ = try? headers.toConnectHeader(topic: "fuzz", headerKey: "h", value: written)
        }
    case .properties:
        let text = String(decoding: input, as: UTF8.self)
        if let pairs = try? JavaProperties.parse(text) {
            let dictionary = try? JavaProperties.parseDictionary(text)
            check(dictionary != nil, "parse accepted what parseDictionary rejected")
            check(Set(pairs.map(\.key)) == Set(dictionary?.keys ?? [:].keys), "keys differ between parse and parseDictionary")
        }
        _ = try? ConnectorConfigFile.parseProperties(text)
    case .connectorJSON:
        let text = String(decoding: input, as: UTF8.self)
        if let file = try? ConnectorConfigFile.parseJSON(text) {
            check(file.config["name"] == file.name, "the configuration does not hold the name")
        }
    }
    return 0
}
