// swift-tools-version: 6.0
import PackageDescription

// Layers (see DESIGN.md); each target imports only the ones named after its arrow:
//   Core
//   Parsing ← Core;  ColumnFiles ← Core
//   Columnar ← Core, Parsing, ColumnFiles (and CColumnarShim);  Estimators ← Core;  Disclosure ← Core (and CClp)
//   Privacy ← Core
//   Sandbox ← Core, ColumnFiles (and CSeccomp, CSandboxShim);  Store ← Core (and CStoreShim)
//   PostgresStore ← Store, Core (and postgres-nio)
//   Gateway ← every target above;  Benchmarks ← Gateway and every target below it
//   Server ← Gateway, Store, Sandbox, Core
//   CLI ← Server, Benchmarks, PostgresStore and every target below them;  modelgate ← CLI
//   modelgate-worker ← Sandbox, Estimators, ColumnFiles, Core
// A lower layer never imports a higher one.
let package = Package(
    name: "modelgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "modelgate", targets: ["modelgate"]),
        .executable(name: "modelgate-worker", targets: ["modelgate-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Plain value types; no Foundation, so that the worker that links them starts fast.
        .target(name: "ModelgateCore"),
        // Policies and model specs from YAML or JSON text.
        .target(
            name: "ModelgateParsing",
            dependencies: ["ModelgateCore", .product(name: "Yams", package: "Yams")]
        ),
        // Column files: their manifest, their read-only mapping, their hand-over to a worker.
        .target(name: "ModelgateColumnFiles", dependencies: ["ModelgateCore"]),
        .target(
            name: "ModelgateColumnar",
            dependencies: [
                "ModelgateCore", "ModelgateParsing", "ModelgateColumnFiles", "CColumnarShim",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // A wrapper for the one GNU file call ingest makes (sync_file_range).
        .target(name: "CColumnarShim"),
        .target(name: "ModelgateEstimators", dependencies: ["ModelgateCore"]),
        // Differential privacy: exact integer noise from the OS's CSPRNG, mechanisms, budgets.
        .target(name: "ModelgatePrivacy", dependencies: ["ModelgateCore", "ModelgateEstimators"]),
        // COIN-OR Clp, from Debian's coinor-libclp-dev: the linear programs that bound withheld cells.
        .systemLibrary(name: "CClp", pkgConfig: "clp", providers: [.apt(["coinor-libclp-dev"])]),
        .target(
            name: "ModelgateDisclosure",
            dependencies: ["ModelgateCore", "CClp", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // libseccomp, from Debian's libseccomp-dev (scripts/install-deps installs it).
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // Wrappers for system calls Swift cannot call directly (variadic or not in Glibc).
        .target(name: "CSandboxShim"),
        .target(
            name: "ModelgateSandbox",
            dependencies: ["ModelgateCore", "ModelgateColumnFiles", "CSeccomp", "CSandboxShim"]
        ),
        // A wrapper for the one variadic SQLite call the store makes.
        .target(name: "CStoreShim", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The catalog, jobs, usage, quotas and the hash-chained audit log. SQLite (Debian's
        // libsqlite3-dev) through GRDB, behind the `GatewayStore` protocol.
        .target(
            name: "ModelgateStore",
            dependencies: [
                "ModelgateCore", "CStoreShim", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The same store on a PostgreSQL server (postgres-nio), for several gateways on one database.
        .target(
            name: "ModelgatePostgresStore",
            dependencies: [
                "ModelgateCore", "ModelgateStore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ModelgateGateway",
            dependencies: [
                "ModelgateCore", "ModelgateParsing", "ModelgateColumnFiles", "ModelgateColumnar", "ModelgateEstimators",
                "ModelgateDisclosure", "ModelgatePrivacy", "ModelgateSandbox", "ModelgateStore",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What the store, the sandbox and the release ledger cost, for the CLI's bench commands.
        .target(
            name: "ModelgateBenchmarks",
            dependencies: [
                "ModelgateCore", "ModelgateParsing", "ModelgateColumnFiles", "ModelgateColumnar", "ModelgateEstimators",
                "ModelgateDisclosure", "ModelgatePrivacy", "ModelgateSandbox", "ModelgateStore", "ModelgateGateway",
            ]
        ),
        // The HTTP API (Hummingbird 2): routes, bearer tokens and roles, errors, metrics; and the
        // web console for owners, auditors and researchers (templates with swift-mustache).
        .target(
            name: "ModelgateServer",
            dependencies: [
                "ModelgateCore", "ModelgateSandbox", "ModelgateStore", "ModelgateGateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("openapi.yaml")]
        ),
        .target(
            name: "ModelgateCLI",
            dependencies: [
                "ModelgateGateway", "ModelgateBenchmarks", "ModelgateCore", "ModelgateParsing", "ModelgateColumnar",
                "ModelgateSandbox", "ModelgateStore", "ModelgatePostgresStore", "ModelgateServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Swift runtime and Foundation linked in: the command starts in about half the time
        // (no shared libraries to load and relocate), which every `modelgate run` pays.
        // FoundationNetworking (URLSession, for `submit` and `jobs`) needs its libcurl glue and
        // libcurl itself (Debian's libcurl4-openssl-dev), which stays a shared library.
        .executableTarget(
            name: "modelgate",
            dependencies: ["ModelgateCLI"],
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib", "-lFoundationEssentials", "-lFoundationInternationalization", "-lCoreFoundation",
                    "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
                    "-l_CFURLSessionInterface", "-lcurl",
                ])
            ]
        ),
        // The restricted process. Linked fully static (Swift runtime, glibc, libseccomp): with
        // nothing for the dynamic loader to do, it starts about 1.3 ms sooner on every job.
        .executableTarget(
            name: "modelgate-worker",
            dependencies: ["ModelgateSandbox", "ModelgateEstimators", "ModelgateColumnFiles", "ModelgateCore"],
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),
        // Tests, one target per layer, each importing what its layer's tests need; what they share
        // (temporary folders, fixtures, the store fixture) is a plain target of package symbols.
        .target(
            name: "ModelgateTestSupport",
            dependencies: [
                "ModelgateCore", "ModelgateParsing", "ModelgateEstimators", "ModelgateDisclosure", "ModelgateSandbox",
                "ModelgateStore", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "ModelgateCoreTests", dependencies: ["ModelgateCore", "ModelgateParsing", "ModelgateTestSupport"]),
        .testTarget(
            name: "ModelgateEstimatorsTests",
            dependencies: ["ModelgateCore", "ModelgateParsing", "ModelgateEstimators", "ModelgateTestSupport"]
        ),
        .testTarget(
            name: "ModelgatePrivacyTests",
            dependencies: [
                "ModelgateCore", "ModelgatePrivacy", "ModelgateEstimators", "ModelgateParsing", "ModelgateTestSupport",
            ]),
        .testTarget(
            name: "ModelgateDisclosureTests",
            dependencies: [
                "ModelgateCore", "ModelgateParsing", "ModelgateEstimators", "ModelgateDisclosure",
                "ModelgateTestSupport",
            ]
        ),
        .testTarget(
            name: "ModelgateColumnarTests",
            dependencies: ["ModelgateCore", "ModelgateColumnFiles", "ModelgateColumnar", "ModelgateTestSupport"]
        ),
        .testTarget(
            name: "ModelgateSandboxTests",
            dependencies: [
                "ModelgateCore", "ModelgateParsing", "ModelgateColumnFiles", "ModelgateColumnar", "ModelgateSandbox",
                "ModelgateTestSupport",
            ]
        ),
        .testTarget(
            name: "ModelgateStoreTests",
            dependencies: [
                "ModelgateCore", "ModelgateStore", "ModelgatePostgresStore", "ModelgateTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "ModelgateGatewayTests",
            dependencies: [
                "ModelgateCore", "ModelgateParsing", "ModelgateColumnar", "ModelgateDisclosure", "ModelgatePrivacy",
                "ModelgateSandbox",
                "ModelgateStore", "ModelgateGateway", "ModelgateTestSupport",
            ]
        ),
        .testTarget(
            name: "ModelgateServerTests",
            dependencies: [
                "ModelgateCore", "ModelgateColumnar", "ModelgateSandbox", "ModelgateStore", "ModelgateGateway",
                "ModelgateServer", "ModelgateTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "ModelgateCLITests",
            dependencies: [
                "ModelgateCore", "ModelgateColumnar", "ModelgateSandbox", "ModelgateStore", "ModelgateGateway",
                "ModelgateServer", "ModelgateCLI", "ModelgateTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
