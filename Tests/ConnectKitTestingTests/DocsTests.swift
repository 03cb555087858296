import Foundation
import Testing

/// The repository's root, from this file's path.
func repositoryRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// A ```swift block in a Markdown file that is preceded by `<!-- verbatim: path -->` must appear,
/// line for line (leading and trailing spaces aside), in the test file it names: the test runs
/// exactly what the documentation shows.
@Test(arguments: ["README.md", "Docs/ConnectKitTesting.md", "Sources/ConnectKitTesting/ConnectKitTesting.docc/ConnectKitTesting.md"])
func documentedExamplesMarkedVerbatimAreTheTestedCode(document: String) throws {
    let root = repositoryRoot()
    let lines = try String(contentsOf: root.appendingPathComponent(document), encoding: .utf8).components(separatedBy: "\n")
    var checked = 0
    for (i, line) in lines.enumerated() {
        guard let range = line.range(of: "<!-- verbatim: "), let end = line.range(of: " -->") else { continue }
        let path = String(line[range.upperBound..<end.lowerBound])
        #expect(lines[i + 1] == "```swift", "\(document):\(i + 2) must open a swift block")
        let block = lines[(i + 2)...].prefix { $0 != "```" }.map { $0.trimmingCharacters(in: .whitespaces) }
        let source = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8).components(separatedBy: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let found = source.indices.contains { start in start + block.count <= source.count && Array(source[start..<(start + block.count)]) == Array(block) }
        #expect(found, "\(document):\(i + 1): the block is not, line for line, in \(path)")
        checked += 1
    }
    if document == "README.md" { #expect(checked >= 1) }
}
