// swift-tools-version: 6.1
import PackageDescription
import struct Foundation.URL

// A path dependency's identity is its directory name, which depends on where the repository was
// cloned; derive it instead of hard-coding it.
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "ConnectKitBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "ConverterBenchmarks",
            dependencies: [
                .product(name: "ConnectKit", package: rootIdentity),
                .product(name: "ConnectRuntime", package: rootIdentity),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ConverterBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PipelineBenchmarks",
            dependencies: [
                .product(name: "ConnectKit", package: rootIdentity),
                .product(name: "ConnectRuntime", package: rootIdentity),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PipelineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TransformBenchmarks",
            dependencies: [
                .product(name: "ConnectKit", package: rootIdentity),
                .product(name: "ConnectRuntime", package: rootIdentity),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/TransformBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The Swift side of `make bench-ratio` / `make bench-instructions` (a plain executable, timed by itself).
        .executableTarget(
            name: "EqualWork",
            dependencies: [
                .product(name: "ConnectKit", package: rootIdentity),
                .product(name: "ConnectRuntime", package: rootIdentity),
                .product(name: "ConnectAvro", package: rootIdentity),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/EqualWork"
        ),
        // The ConnectKit side of `make bench-sql` (scripts/bench-sql.sh times the databases' CLIs beside it).
        .executableTarget(
            name: "SQLWork",
            dependencies: [
                .product(name: "ConnectKit", package: rootIdentity),
                .product(name: "ConnectRuntime", package: rootIdentity),
                .product(name: "ConnectSQL", package: rootIdentity),
            ],
            path: "Benchmarks/SQLWork"
        ),
        // The ConnectKit side of `make bench-elasticsearch` (scripts/bench-elasticsearch.sh runs curl beside it).
        .executableTarget(
            name: "ElasticsearchWork",
            dependencies: [
                .product(name: "ConnectKit", package: rootIdentity),
                .product(name: "ConnectRuntime", package: rootIdentity),
                .product(name: "ConnectElasticsearch", package: rootIdentity),
            ],
            path: "Benchmarks/ElasticsearchWork"
        ),
        // The ConnectKit side of `make bench-kafka` (scripts/bench-kafka.sh runs kcat beside it).
        .executableTarget(
            name: "KafkaWork",
            dependencies: [
                .product(name: "ConnectKit", package: rootIdentity),
                .product(name: "ConnectRuntime", package: rootIdentity),
                .product(name: "ConnectKafka", package: rootIdentity),
                .product(name: "ConnectPlugins", package: rootIdentity),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/KafkaWork"
        ),
        // The ConnectKit side of `make bench-s3` (scripts/bench-s3.sh runs pyarrow beside it).
        .executableTarget(
            name: "S3Work",
            dependencies: [
                .product(name: "ConnectKit", package: rootIdentity),
                .product(name: "ConnectRuntime", package: rootIdentity),
                .product(name: "ConnectParquet", package: rootIdentity),
                .product(name: "ConnectS3", package: rootIdentity),
            ],
            path: "Benchmarks/S3Work"
        ),
    ],
    swiftLanguageModes: [.v6]
)
