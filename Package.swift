// swift-tools-version: 6.0
import PackageDescription

// Layers (see DESIGN.md): Core ← {Columnar, Estimators, Disclosure} ← Gateway ← CLI ← modelgate.
// A lower layer never imports a higher one.
let package = Package(
    name: "modelgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "modelgate", targets: ["modelgate"])
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
        .target(
            name: "ModelgateGateway",
            dependencies: [
                "ModelgateCore", "ModelgateColumnar", "ModelgateEstimators", "ModelgateDisclosure",
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
        .testTarget(
            name: "ModelgateTests",
            dependencies: [
                "ModelgateCore", "ModelgateColumnar", "ModelgateEstimators", "ModelgateDisclosure",
                "ModelgateGateway", "ModelgateCLI",
            ]
        ),
    ]
)
