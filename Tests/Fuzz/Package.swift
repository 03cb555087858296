// swift-tools-version: 6.1
// libFuzzer targets for ConnectKit's parsers (`make fuzz`). Built by scripts/fuzz.sh with
// `-sanitize=fuzzer,address`; not part of the main package's build.
import PackageDescription
import struct Foundation.URL

// A path dependency's identity is its directory name, which depends on where the repository was
// cloned; derive it instead of hard-coding it.
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "ConnectKitFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../..")],
    targets: [
        .target(name: "CFuzzer"),
        .executableTarget(
            name: "ConnectKitFuzz",
            dependencies: ["CFuzzer", .product(name: "ConnectKit", package: rootIdentity)]
        ),
    ]
)
