import ConnectKit
import Foundation
import Testing

@testable import ConnectElasticsearch

@Suite("Docs/ConnectElasticsearch.md")
struct ElasticsearchDocsTests {
    @Test("documents every key with its type and default")
    func everyKey() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Docs/ConnectElasticsearch.md"), encoding: .utf8)
        for key in ElasticsearchSinkConfig.configDef.keys {
            let d: String
            switch key.defaultValue {
            case .required: d = "required"
            case .null: d = "null"
            case .value(let v): d = v.isEmpty ? "\"\"" : v
            }
            #expect(text.contains("| `\(key.name)` | \(key.type.rawValue) | `\(d)` |"), "\(key.name) (\(key.type.rawValue), \(d)) is not in Docs/ConnectElasticsearch.md")
        }
    }
}
