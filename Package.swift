// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "framechain",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Formats", targets: ["Formats"]),
        .library(name: "Chain", targets: ["Chain"]),
        .library(name: "Backends", targets: ["Backends"]),
        .library(name: "Remote", targets: ["Remote"]),
        .executable(name: "framechain", targets: ["Tool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.0"),
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
        // syncfs(2), which the Glibc module leaves out (a declaration only; nothing to link).
        .systemLibrary(name: "CFileSystem"),
        .target(name: "Store", dependencies: ["CSQLite", "CCrypto", "CFileSystem"]),
        // JSON (strict parser, RFC 8785) and imaging (PNG, zlib): pure formats that Chain, Backends and
        // later the proxy all read and write; no I/O beyond zlib.
        .target(name: "Formats", dependencies: ["CZlib"]),
        // Plans, prompts, keys, the graph, the scheduler and audit. Knows no HTTP, no subprocess, no provider.
        .target(name: "Chain", dependencies: ["Store", "Formats"]),
        // Every generator: procedural, command, Replicate, OpenAI, and their HTTP (AsyncHTTPClient) and retry support.
        .target(
            name: "Backends",
            dependencies: [
                "Store", "Formats", "Chain",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SystemPackage", package: "swift-system", condition: .when(platforms: [.linux])),
            ]),
        // `framechain serve`: a Replicate/OpenAI-compatible caching proxy. Imports Chain, never Backends or Tool.
        .target(
            name: "Proxy",
            dependencies: [
                "Store", "Formats", "Chain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        // The shared cache: Chain's RemoteCache on Bazel's HTTP remote-cache protocol (/cas, /ac), over
        // AsyncHTTPClient.
        .target(
            name: "Remote",
            dependencies: [
                "Store", "Formats", "Chain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "Tool",
            dependencies: [
                "Store", "Formats", "Chain", "Backends", "Proxy", "Remote",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "FrameChainTestKit", dependencies: ["Formats"], path: "Tests/FrameChainTestKit"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "FrameChainTestKit"]),
        .testTarget(name: "FormatsTests", dependencies: ["Formats", "FrameChainTestKit"]),
        .testTarget(name: "ChainTests", dependencies: ["Chain", "Formats", "Store", "FrameChainTestKit"]),
        .testTarget(
            name: "BackendsTests", dependencies: ["Backends", "Chain", "Formats", "Store", "FrameChainTestKit"],
            exclude: ["Servers"]),
        .testTarget(name: "ArchitectureTests"),
        .testTarget(
            name: "ToolTests", dependencies: ["Tool", "Store", "Formats", "Chain", "Backends", "FrameChainTestKit"],
            exclude: ["ProxyScripts"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "Chain", "Formats", "Store", "FrameChainTestKit"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (docs/RELIABILITY.md, "Fuzzing"): only in builds made by scripts/fuzz.sh, which sets
// FRAMECHAIN_FUZZ=1 and builds with `-sanitize=fuzzer,address` into its own scratch path; an ordinary build
// never sees them (they cannot link without libFuzzer).
if Context.environment["FRAMECHAIN_FUZZ"] == "1" {
    package.targets.append(.target(name: "FuzzSupport", path: "fuzz/Sources/FuzzSupport"))
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzJSON", ["Formats"]),
        ("FuzzPlan", ["Chain", "Formats"]),
        ("FuzzPNG", ["Formats", "CZlib"]),
        ("FuzzBundle", ["Store"]),
        ("FuzzReplicate", ["Backends", "Formats"]),
        ("FuzzOpenAI", ["Backends", "Formats"]),
    ]
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: target.dependencies + ["FuzzSupport"],
                path: "fuzz/Sources/\(target.name)"))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
