// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ConnectKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ConnectKit", targets: ["ConnectKit"]),
        .library(name: "ConnectTransforms", targets: ["ConnectTransforms"]),
        .library(name: "ConnectRuntime", targets: ["ConnectRuntime"]),
        .library(name: "ConnectFile", targets: ["ConnectFile"]),
        .library(name: "ConnectPlugins", targets: ["ConnectPlugins"]),
        .library(name: "ConnectSQLiteDriver", targets: ["ConnectSQLiteDriver"]),
        .library(name: "ConnectSQL", targets: ["ConnectSQL"]),
        .library(name: "ConnectKafka", targets: ["ConnectKafka"]),
        .library(name: "ConnectHTTP", targets: ["ConnectHTTP"]),
        .library(name: "ConnectElasticsearch", targets: ["ConnectElasticsearch"]),
        .library(name: "ConnectAvro", targets: ["ConnectAvro"]),
        .library(name: "ConnectParquet", targets: ["ConnectParquet"]),
        .library(name: "ConnectS3", targets: ["ConnectS3"]),
        .library(name: "ConnectREST", targets: ["ConnectREST"]),
        .library(name: "ConnectKitTesting", targets: ["ConnectKitTesting"]),
        .executable(name: "connect", targets: ["connect"]),
    ],
    traits: [
        .trait(name: "PostgreSQL", description: "PostgreSQL in ConnectSQL's JDBC connectors (libpq, Debian libpq-dev)"),
        .trait(name: "MySQL", description: "MySQL and MariaDB in ConnectSQL's JDBC connectors (libmariadb, Debian libmariadb-dev)"),
        .trait(name: "REST", description: "ConnectREST's HTTP server and Hummingbird router mounting (Hummingbird 2); without it ConnectREST is the routes as a function"),
        .default(enabledTraits: ["PostgreSQL", "MySQL", "REST"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Core API: pure Swift, no C, no I/O. See Docs/Architecture.md for the other layers.
        .target(name: "ConnectKit", swiftSettings: strict),
        // Kafka Connect's single message transformations and predicates (pure Swift, on ConnectKit).
        .target(name: "ConnectTransforms", dependencies: ["ConnectKit"], swiftSettings: strict),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The one zlib wrapper (CRC-32, deflate/gzip, inflate), below every module that uses zlib.
        .target(name: "ConnectZlib", dependencies: ["CZlib"], swiftSettings: strict),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The one HTTP layer: libcurl on a loop thread of its own (reuse, TLS, timeouts, retries, cancel, gzip).
        .target(name: "ConnectHTTP", dependencies: ["CCurl", "ConnectZlib"], swiftSettings: strict),
        // The one SQLite wrapper: a connection owning its handle, cached statements, typed errors.
        .target(name: "ConnectSQLiteDriver", dependencies: ["CSQLite"], swiftSettings: strict),
        // Runs pipelines: task threads, acknowledgements, offset stores, built-in connectors.
        .target(
            name: "ConnectRuntime",
            dependencies: [
                "ConnectKit", "ConnectTransforms", "ConnectSQLiteDriver", "ConnectZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Kafka's connect/file: FileStreamSource and FileStreamSink.
        .target(name: "ConnectFile", dependencies: ["ConnectKit", "ConnectRuntime"], swiftSettings: strict),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        // Confluent's JDBC source and sink over SQLite, PostgreSQL (trait) and MySQL/MariaDB (trait).
        .target(
            name: "ConnectSQL",
            dependencies: [
                "ConnectKit", "ConnectRuntime", "ConnectSQLiteDriver",
                .product(name: "Logging", package: "swift-log"),
                .target(name: "CLibPQ", condition: .when(traits: ["PostgreSQL"])),
                .target(name: "CMariaDB", condition: .when(traits: ["MySQL"])),
            ],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        // Kafka as the transport (first slice: the librdkafka wrapper and Java's partitioner).
        .target(name: "ConnectKafka", dependencies: ["ConnectKit", "ConnectRuntime", "CRdKafka"], swiftSettings: strict),
        // Avro (first slices): schemas, Parsing Canonical Form and fingerprints, the binary and JSON
        // encodings, object container files (null, deflate, snappy, zstandard).
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "ConnectAvro", dependencies: ["ConnectKit", "ConnectHTTP", "ConnectZlib", "CSnappy", "CZstd"], swiftSettings: strict),
        .target(name: "ConnectParquet", dependencies: ["ConnectKit", "ConnectAvro", "ConnectZlib"], swiftSettings: strict),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(
            name: "ConnectS3",
            dependencies: ["ConnectKit", "ConnectRuntime", "ConnectParquet", "ConnectAvro", "ConnectZlib", "ConnectHTTP", "CCrypto", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Confluent's Elasticsearch sink over ConnectHTTP (Elasticsearch 7, 8, 9 and OpenSearch).
        .target(
            name: "ConnectElasticsearch",
            dependencies: ["ConnectKit", "ConnectRuntime", "ConnectHTTP", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Every module's plugins assembled (PluginRegistry.standard): what the connect executable knows.
        .target(name: "ConnectPlugins", dependencies: ["ConnectRuntime", "ConnectFile", "ConnectSQL", "ConnectElasticsearch", "ConnectAvro", "ConnectS3"], swiftSettings: strict),
        // Kafka Connect's REST API over the Herder: the routes as a function of a request, and (trait
        // REST) an HTTP server and a middleware hosts mount in their own Hummingbird router.
        .target(
            name: "ConnectREST",
            dependencies: [
                "ConnectKit", "ConnectRuntime", .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["REST"])),
                .product(name: "HummingbirdTLS", package: "hummingbird", condition: .when(traits: ["REST"])),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["REST"])),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["REST"])),
            ],
            swiftSettings: strict
        ),
        // Harnesses for testing connectors and pipelines in `swift test`, with no servers.
        .target(
            name: "ConnectKitTesting",
            dependencies: ["ConnectKit", "ConnectRuntime", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "connect",
            dependencies: [
                "ConnectKit", "ConnectRuntime", "ConnectPlugins", "ConnectKafka", "ConnectREST", "ConnectSQLiteDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Example connectors written against the ConnectKit API only (see Examples/README.md).
        .target(name: "ExampleConnectors", dependencies: ["ConnectKit"], path: "Examples/ExampleConnectors", swiftSettings: strict),
        .testTarget(
            name: "ExampleConnectorsTests",
            dependencies: ["ExampleConnectors", "ConnectKit", "ConnectKitTesting", "ConnectRuntime"],
            path: "Examples/Tests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectHTTPTests",
            dependencies: ["ConnectHTTP", "ConnectKitTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectElasticsearchTests",
            dependencies: ["ConnectElasticsearch", "ConnectHTTP", "ConnectKit", "ConnectRuntime", "ConnectPlugins", "ConnectKitTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectParquetTests", dependencies: ["ConnectParquet", "ConnectS3", "ConnectHTTP", "ConnectRuntime", "ConnectKit", "ConnectKitTesting"],
            exclude: ["Vectors"], swiftSettings: strict),
        .testTarget(
            name: "ConnectAvroTests",
            dependencies: ["ConnectAvro", "ConnectHTTP", "ConnectKit", "ConnectKitTesting"],
            exclude: ["Vectors"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectKitTests",
            dependencies: ["ConnectKit"],
            exclude: ["Vectors"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectTransformsTests",
            dependencies: ["ConnectTransforms", "ConnectKit", "ConnectRuntime", "ConnectPlugins"],
            exclude: ["Vectors"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectKitTestingTests",
            dependencies: ["ConnectKitTesting", "ConnectKit", "ConnectRuntime", "ConnectPlugins", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectRuntimeTests",
            dependencies: [
                "ConnectRuntime", "ConnectKit", "ConnectFile", "ConnectPlugins", "ConnectKitTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectRESTTests",
            dependencies: [
                "ConnectREST", "ConnectRuntime", "ConnectKit", "ConnectHTTP", "ConnectPlugins", "ConnectKitTesting",
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["REST"])),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "ConnectFileTests", dependencies: ["ConnectFile", "ConnectRuntime", "ConnectKit"], swiftSettings: strict),
        .testTarget(name: "ConnectSQLiteDriverTests", dependencies: ["ConnectSQLiteDriver"], swiftSettings: strict),
        .testTarget(
            name: "ConnectKafkaTests",
            dependencies: ["ConnectKafka", "ConnectKit", "ConnectRuntime", "ConnectKitTesting", "ConnectS3", "ConnectHTTP", .product(name: "Logging", package: "swift-log")],
            exclude: ["Vectors"], swiftSettings: strict
        ),
        // Needs the servers scripts/sql-servers.sh starts (make test starts them).
        .testTarget(
            name: "ConnectSQLTests",
            dependencies: ["ConnectSQL", "ConnectSQLiteDriver", "ConnectRuntime", "ConnectKit", "ConnectKitTesting", "ConnectPlugins"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
