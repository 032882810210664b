// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Veche",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "appeal-service", targets: ["AppealService"]),
        .executable(name: "gateway", targets: ["Gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // C libraries from Debian.
        .systemLibrary(name: "CNATS", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .systemLibrary(name: "CPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // protoc-c output from proto/ (scripts/gen_contracts.py).
        .target(name: "Proto", linkerSettings: [.linkedLibrary("protobuf-c")]),
        // Generated Swift value types over Proto + the RPC vocabulary.
        .target(name: "Contracts", dependencies: ["Proto", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        // NATS (core, ADR-32 services, JetStream), libpq pool, migrations, config, lifecycle.
        .target(name: "VecheRuntime", dependencies: [
            "CNATS", "CPQ", "Contracts",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swiftSettings),
        .target(name: "DataKit", dependencies: ["CZlib"], swiftSettings: swiftSettings),

        // Services (one executable each; tests import them with @testable).
        .executableTarget(name: "AppealService", dependencies: [
            "VecheRuntime", "Contracts",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "Gateway", dependencies: [
            "VecheRuntime", "Contracts",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "VecheTests", dependencies: [
            "VecheRuntime", "Contracts", "AppealService", "DataKit",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: swiftSettings),
    ]
)
