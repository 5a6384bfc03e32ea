// swift-tools-version: 6.1
// libFuzzer targets for the readers: build with scripts/fuzz, which passes -sanitize=fuzzer.
import PackageDescription

let targets = ["FuzzCSV", "FuzzNEM12", "FuzzXLSX", "FuzzJSON", "FuzzGzip"]

let package = Package(
    name: "nutcracker-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "nutcracker", path: "..")],
    targets: [.target(name: "FuzzDriver")] + targets.map {
        .executableTarget(name: $0, dependencies: ["FuzzDriver", .product(name: "MeterIngest", package: "nutcracker")])
    },
    swiftLanguageModes: [.v6]
)
