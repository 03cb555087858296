// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ConnectKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ConnectKit", targets: ["ConnectKit"]),
        .executable(name: "connect", targets: ["connect"]),
    ],
    targets: [
        // Core API: pure Swift, no C, no I/O. See Docs/Architecture.md for the other layers.
        .target(name: "ConnectKit", swiftSettings: strict),
        .executableTarget(name: "connect", dependencies: ["ConnectKit"], swiftSettings: strict),
        .testTarget(
            name: "ConnectKitTests",
            dependencies: ["ConnectKit"],
            exclude: ["Vectors"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
