// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "framechain",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Chain", targets: ["Chain"]),
        .executable(name: "framechain", targets: ["Tool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .target(name: "Store", dependencies: ["CSQLite", "CCrypto"]),
        .target(
            name: "Chain",
            dependencies: [
                "Store", "CZlib",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system", condition: .when(platforms: [.linux])),
            ]),
        .executableTarget(
            name: "Tool",
            dependencies: [
                "Store", "Chain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "FrameChainTestKit", path: "Tests/FrameChainTestKit"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "FrameChainTestKit"]),
        .testTarget(name: "ChainTests", dependencies: ["Chain", "Store", "FrameChainTestKit"], exclude: ["Servers"]),
        .testTarget(name: "ToolTests", dependencies: ["Tool", "Store", "Chain", "FrameChainTestKit"]),
    ],
    swiftLanguageModes: [.v6]
)
