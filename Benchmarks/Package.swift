// swift-tools-version: 6.1
// Reader benchmarks in release mode, without the server's dependencies: scripts/bench-readers.
import PackageDescription

let package = Package(
    name: "nutcracker-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "nutcracker", path: "..")],
    targets: [
        .executableTarget(name: "bench-readers", dependencies: [.product(name: "MeterIngest", package: "nutcracker")]),
        .executableTarget(name: "bench-detectors", dependencies: [
            .product(name: "MeterIngest", package: "nutcracker"), .product(name: "MeterAnalytics", package: "nutcracker"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
