// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]
let log = Target.Dependency.product(name: "Logging", package: "swift-log")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let tracing = Target.Dependency.product(name: "Tracing", package: "swift-distributed-tracing")

let package = Package(
    name: "Veche",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "appeal-service", targets: ["AppealService"]),
        .executable(name: "agency-service", targets: ["AgencyService"]),
        .executable(name: "rating-service", targets: ["RatingService"]),
        .executable(name: "survey-service", targets: ["SurveyService"]),
        .executable(name: "gateway", targets: ["Gateway"]),
        .executable(name: "veche-tool", targets: ["VecheTool"]),
        .executable(name: "veche-fuzz", targets: ["VecheFuzz"]),
    ],
    // `swift build --traits OTLP` adds swift-otel (its tracer and OTLP/HTTP span exporter: AsyncHTTPClient, SwiftProtobuf);
    // without it traces are still made, carried in W3C headers and logged by trace id, but not exported (keeps CI's
    // clean build small; swift-otel 1.6 does not compile without one of its exporter traits).
    traits: [.trait(name: "OTLP", description: "Export spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set")],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0",
                 traits: [.trait(name: "OTLPHTTP", condition: .when(traits: ["OTLP"]))]),
    ],
    targets: [
        // C libraries from Debian.
        .systemLibrary(name: "CNATS", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .systemLibrary(name: "CPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CStemmer", providers: [.apt(["libstemmer-dev"])]),
        // protoc-c output from proto/ (scripts/gen_contracts.py).
        .target(name: "Proto", linkerSettings: [.linkedLibrary("protobuf-c")]),
        // Identity and access: OIDC token verification (jwt-kit, JWKS with key rotation), client credentials,
        // the access rules every service and the gateway enforce; VecheIdentity holds the Principal / role / grant
        // model without any cryptography (Contracts and the fuzz targets need it, not jwt-kit).
        .target(name: "VecheIdentity", swiftSettings: swiftSettings),
        .target(name: "VecheAuth", dependencies: [
            "VecheIdentity", log, .product(name: "JWTKit", package: "jwt-kit"), .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        // Generated Swift value types over Proto + the RPC vocabulary.
        .target(name: "Contracts", dependencies: ["Proto", "VecheIdentity", log], swiftSettings: swiftSettings),
        // Prometheus metrics (swift-metrics API, swift-prometheus backend) and the `/metrics` listener.
        .target(name: "VecheMetrics", dependencies: [
            log, lifecycle, .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ], swiftSettings: swiftSettings),
        // NATS (core, ADR-32 services, JetStream), libpq pool, migrations, config, lifecycle, bus and database permissions,
        // W3C trace context in NATS headers (swift-distributed-tracing; swift-otel's tracer and OTLP export with the trait).
        .target(name: "VecheRuntime", dependencies: ["CNATS", "CPQ", "Contracts", "VecheAuth", "VecheMetrics", log, lifecycle, tracing,
                                                     .product(name: "OTel", package: "swift-otel", condition: .when(traits: ["OTLP"])),
                                                     .product(name: "Metrics", package: "swift-metrics"),
                                                     .product(name: "HummingbirdBcrypt", package: "hummingbird-auth")],
                swiftSettings: swiftSettings),

        // Domain libraries (pure Swift).
        .target(name: "DataKit", dependencies: ["CZlib"], swiftSettings: swiftSettings),
        .target(name: "Taxonomy", swiftSettings: swiftSettings),
        .target(name: "WorkCalendar", dependencies: ["DataKit"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .target(name: "RatingEngine", swiftSettings: swiftSettings),
        .target(name: "SurveyStats", swiftSettings: swiftSettings),
        .target(name: "Reports", swiftSettings: swiftSettings),
        // The deadline engine and the local copy of AgencyService's directory other services decide with.
        .target(name: "AgencyDirectory", dependencies: ["VecheRuntime", "Contracts", "WorkCalendar", log, lifecycle], swiftSettings: swiftSettings),
        .target(name: "TextAnalysis", dependencies: ["DataKit", "Taxonomy", "CStemmer"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        // Media monitoring: tone model, mentions of directory bodies, surge detection (issue #12).
        .target(name: "MediaMonitoring", dependencies: ["TextAnalysis", "DataKit"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        // Workload, forecasting, staffing (Erlang C, workload model) and escalation chains (issue #12).
        .target(name: "Workload", dependencies: ["WorkCalendar", "Taxonomy", "DataKit"], swiftSettings: swiftSettings),
        // Operators' corrections and stored classifier models in the appeal schema (AppealService + veche-tool).
        .target(name: "ClassifierStore", dependencies: ["VecheRuntime", "TextAnalysis", "Taxonomy"], swiftSettings: swiftSettings),

        // Services: one executable each; tests import them with @testable.
        .executableTarget(name: "AppealService", dependencies: ["VecheRuntime", "Contracts", "VecheAuth", "AgencyDirectory", "WorkCalendar", "TextAnalysis", "ClassifierStore", "Taxonomy", "MediaMonitoring", argumentParser], swiftSettings: swiftSettings),
        .executableTarget(name: "AgencyService", dependencies: ["VecheRuntime", "Contracts", "VecheAuth", "AgencyDirectory", "Taxonomy", "WorkCalendar", "Workload", argumentParser], swiftSettings: swiftSettings),
        .executableTarget(name: "RatingService", dependencies: ["VecheRuntime", "Contracts", "VecheAuth", "RatingEngine", "Taxonomy", argumentParser], swiftSettings: swiftSettings),
        .executableTarget(name: "SurveyService", dependencies: ["VecheRuntime", "Contracts", "VecheAuth", "SurveyStats", argumentParser], swiftSettings: swiftSettings),
        // The JSON bodies the gateway decodes (a library so the fuzz targets decode the same types).
        .target(name: "GatewayRequests", dependencies: ["Contracts"], swiftSettings: swiftSettings),
        // The ЦУР workspace (issue #11): mustache templates, CSS and JS shipped as resources, and the pure view
        // logic (deadline countdowns, the municipality map, Russian labels); the gateway serves it.
        .target(name: "WorkspaceUI", dependencies: ["Contracts", "VecheAuth", "Taxonomy", .product(name: "Mustache", package: "swift-mustache")],
                resources: [.copy("Templates"), .copy("Static")], swiftSettings: swiftSettings),
        .executableTarget(name: "Gateway", dependencies: [
            "VecheRuntime", "Contracts", "GatewayRequests", "Reports", "VecheAuth", "WorkspaceUI", "WorkCalendar", argumentParser, lifecycle, tracing,
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.copy("Resources")], swiftSettings: swiftSettings),

        // libFuzzer targets (scripts/veche fuzz builds them with -sanitize=fuzzer,address).
        .target(name: "FuzzSupport", dependencies: ["Contracts", "GatewayRequests"], swiftSettings: swiftSettings),
        .executableTarget(name: "VecheFuzz", dependencies: ["FuzzSupport"], swiftSettings: swiftSettings),

        .executableTarget(name: "VecheTool", dependencies: ["VecheRuntime", "Contracts", "VecheAuth", "TextAnalysis", "ClassifierStore", "WorkCalendar", "DataKit",
                                                       "MediaMonitoring", "Workload", argumentParser], swiftSettings: swiftSettings),

        // Tests.
        .target(name: "VecheTestSupport", dependencies: ["VecheRuntime", "Contracts", "VecheAuth", log, lifecycle, tracing], path: "Tests/VecheTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "VecheTests", dependencies: [
            "VecheRuntime", "Contracts", "VecheAuth", "AppealService", "AgencyService", "RatingService", "SurveyService", "Gateway", "DataKit", "VecheTestSupport",
            "AgencyDirectory", "WorkCalendar", "WorkspaceUI", "VecheTool", "MediaMonitoring", "TextAnalysis",
            .product(name: "HummingbirdTesting", package: "hummingbird"), lifecycle,
        ], swiftSettings: swiftSettings),
        .testTarget(name: "VecheRuntimeTests", dependencies: ["VecheRuntime", "Contracts", "VecheAuth", "VecheTestSupport", log, lifecycle], swiftSettings: swiftSettings),
        .testTarget(name: "AgencyServiceTests", dependencies: ["AgencyService", "AgencyDirectory", "VecheRuntime", "Contracts", "Taxonomy", "WorkCalendar", "Workload", "VecheTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RatingServiceTests", dependencies: ["RatingService", "RatingEngine", "VecheRuntime", "Contracts", "VecheAuth", "VecheTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "SurveyServiceTests", dependencies: ["VecheRuntime", "Contracts", "SurveyService", "AgencyService", "SurveyStats", "DataKit", "VecheTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzSupport", "Contracts", "GatewayRequests"], swiftSettings: swiftSettings),
        .testTarget(name: "WorkCalendarTests", dependencies: ["WorkCalendar", "DataKit", "VecheTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RatingEngineTests", dependencies: ["RatingEngine"], swiftSettings: swiftSettings),
        .testTarget(name: "SurveyStatsTests", dependencies: ["SurveyStats", "DataKit"], swiftSettings: swiftSettings),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"], swiftSettings: swiftSettings),
        .testTarget(name: "TextAnalysisTests", dependencies: ["TextAnalysis", "Taxonomy", "DataKit"], swiftSettings: swiftSettings),
        .testTarget(name: "MediaMonitoringTests", dependencies: ["MediaMonitoring", "TextAnalysis", "DataKit", "Workload", "WorkCalendar", "AgencyService"], swiftSettings: swiftSettings),
        .testTarget(name: "WorkloadTests", dependencies: ["Workload", "WorkCalendar", "DataKit"], swiftSettings: swiftSettings),
    ]
)
