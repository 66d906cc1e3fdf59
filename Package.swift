// swift-tools-version: 6.0
import PackageDescription

// Layers (see DESIGN.md): Core ← {Columnar, Estimators, Disclosure} ← Sandbox ← Gateway ← CLI ←
// {modelgate, modelgate-worker}. A lower layer never imports a higher one.
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
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .target(
            name: "ModelgateCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "ModelgateColumnar",
            dependencies: ["ModelgateCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "ModelgateEstimators", dependencies: ["ModelgateCore"]),
        .target(name: "ModelgateDisclosure", dependencies: ["ModelgateCore"]),
        // libseccomp, from Debian's libseccomp-dev (scripts/install-deps installs it).
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // Wrappers for system calls Swift cannot call directly (variadic or not in Glibc).
        .target(name: "CSandboxShim"),
        .target(
            name: "ModelgateSandbox",
            dependencies: ["ModelgateCore", "ModelgateColumnar", "CSeccomp", "CSandboxShim"]
        ),
        .target(
            name: "ModelgateGateway",
            dependencies: [
                "ModelgateCore", "ModelgateColumnar", "ModelgateEstimators", "ModelgateDisclosure", "ModelgateSandbox",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ModelgateCLI",
            dependencies: [
                "ModelgateGateway", "ModelgateCore", "ModelgateColumnar",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "modelgate", dependencies: ["ModelgateCLI"]),
        // The restricted process. Linked with the Swift runtime and Foundation inside, so that a
        // job does not pay for loading and relocating their shared libraries on every start.
        .executableTarget(
            name: "modelgate-worker",
            dependencies: ["ModelgateSandbox", "ModelgateEstimators", "ModelgateColumnar", "ModelgateCore"],
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib", "-lFoundationEssentials", "-lFoundationInternationalization", "-lCoreFoundation",
                    "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
                ])
            ]
        ),
        .testTarget(
            name: "ModelgateTests",
            dependencies: [
                "ModelgateCore", "ModelgateColumnar", "ModelgateEstimators", "ModelgateDisclosure",
                "ModelgateSandbox", "ModelgateGateway", "ModelgateCLI",
            ]
        ),
    ]
)
