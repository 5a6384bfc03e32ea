// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "nutcracker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nutcracker", targets: ["nutcracker"]),
        .library(name: "MeterCore", targets: ["MeterCore"]),
        .library(name: "MeterCleanse", targets: ["MeterCleanse"]),
        .library(name: "MeterAnalytics", targets: ["MeterAnalytics"]),
        .library(name: "MeterIngest", targets: ["MeterIngest"]),
        .library(name: "MeterStore", targets: ["MeterStore"]),
        .library(name: "MeterReports", targets: ["MeterReports"]),
        .library(name: "NutCrackerEngine", targets: ["NutCrackerEngine"]),
        .library(name: "NutCrackerServer", targets: ["NutCrackerServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/GraphQLSwift/Graphiti", from: "3.1.0"),
    ],
    targets: [
        .target(name: "MeterCore"),
        .target(name: "MeterCleanse", dependencies: ["MeterCore"]),
        .target(name: "CPrefetch"),
        .target(name: "CThreadPriority"),
        .target(name: "MeterAnalytics", dependencies: ["MeterCore", "CPrefetch"]),
        .target(name: "MeterIngest", dependencies: [
            "MeterCore",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "MeterStore", dependencies: [
            "MeterCore",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .target(name: "MeterReports", dependencies: [
            "MeterCore", "MeterAnalytics",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "NutCrackerEngine", dependencies: [
            "MeterCore", "MeterCleanse", "MeterAnalytics", "MeterIngest", "MeterStore", "MeterReports", "CThreadPriority",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "NutCrackerServer", dependencies: [
            "NutCrackerEngine",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Graphiti", package: "Graphiti"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "nutcracker", dependencies: [
            "NutCrackerEngine", "NutCrackerServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TestSupport", dependencies: ["MeterCore", "MeterStore", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                path: "Tests/TestSupport"),
        .testTarget(name: "MeterCoreTests", dependencies: ["MeterCore", "TestSupport"]),
        .testTarget(name: "MeterCleanseTests", dependencies: ["MeterCleanse", "MeterIngest", "TestSupport"]),
        .testTarget(name: "MeterAnalyticsTests", dependencies: ["MeterAnalytics", "TestSupport"]),
        .testTarget(name: "MeterIngestTests", dependencies: ["MeterIngest", "TestSupport"]),
        .testTarget(name: "MeterStoreTests", dependencies: ["MeterStore", "MeterIngest", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "MeterReportsTests", dependencies: ["MeterReports", "TestSupport"]),
        .testTarget(name: "NutCrackerEngineTests", dependencies: ["NutCrackerEngine", "TestSupport"]),
        .testTarget(name: "NutCrackerServerTests", dependencies: [
            "NutCrackerServer", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
