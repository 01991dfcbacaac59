import Foundation
import Testing

/// Keeps the module graph of docs/ARCHITECTURE.md true: every `import` in `Sources/<Module>` is read and checked
/// against the modules that module may not know.
///
/// The compiler already refuses an import of a target that is not a declared dependency; this test also catches the
/// day someone adds the dependency in Package.swift, and it covers system modules (Foundation, FoundationNetworking)
/// that every target can import.
@Suite struct ModuleBoundaryTests {
    /// What each module must never import, and why.
    static let forbidden: [(module: String, imports: Set<String>, reason: String)] = [
        (
            "Store", ["Foundation", "FoundationEssentials", "FoundationNetworking", "Formats", "Chain", "Backends", "Proxy", "Remote"],
            "Store is bytes and rows on libc, SQLite and libcrypto only"
        ),
        (
            "Formats", ["FoundationNetworking", "Store", "Chain", "Backends", "Proxy", "Remote"],
            "Formats is pure data formats that every other module may import"
        ),
        (
            "Chain",
            [
                "FoundationNetworking", "Subprocess", "SystemPackage", "Backends", "Proxy", "Remote", "AsyncHTTPClient",
                "NIOCore", "NIOPosix", "Hummingbird",
            ],
            "Chain knows no HTTP, no subprocess and no provider"
        ),
        (
            "Backends", ["FoundationNetworking", "Tool", "Proxy", "Remote", "ArgumentParser"],
            "Backends depends on Chain and Store, never the other way, and speaks HTTP through AsyncHTTPClient"
        ),
        (
            "Remote", ["Backends", "Tool", "Proxy", "ArgumentParser", "FoundationNetworking"],
            "Remote is a transport for Chain's RemoteCache: it knows no backend and no command line"
        ),
        (
            "Tool", ["FoundationNetworking"],
            "FoundationNetworking links libcurl and ~30 libraries the loader resolves at every start"
        ),
        (
            "Proxy", ["Backends", "Tool", "Remote", "ArgumentParser", "FoundationNetworking", "Subprocess"],
            "Proxy is a server beside Backends: it keys through Chain, stores through Store and calls upstream with "
                + "AsyncHTTPClient, never URLSession"
        ),
    ]

    /// The repository's `Sources` folder, found from this file's path.
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// The modules named by every import declaration in `text`: `import X`, `@preconcurrency import X`,
    /// `internal import X`, `import struct X.Y`, with or without a `#if canImport` around it.
    static func importedModules(in text: String) -> [String] {
        let kinds: Set<Substring> = ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"]
        let modifiers: Set<Substring> = [
            "@preconcurrency", "@_exported", "@testable", "@_implementationOnly", "public", "package", "internal",
            "fileprivate", "private",
        ]
        var modules: [String] = []
        for line in text.split(separator: "\n") {
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
            while let first = words.first, modifiers.contains(first) { words = words.dropFirst() }
            guard words.first == "import" else { continue }
            words = words.dropFirst()
            if let kind = words.first, kinds.contains(kind) { words = words.dropFirst() }
            guard let path = words.first else { continue }
            modules.append(String(path.split(separator: ".").first ?? path))
        }
        return modules
    }

    /// Every Swift file under `Sources/<module>`.
    static func swiftFiles(of module: String) throws -> [URL] {
        let root = sources.appendingPathComponent(module)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    }

    @Test func theImportReaderFindsEveryForm() {
        let text = """
            import Store
            @preconcurrency import Subprocess
            internal import struct FoundationNetworking.URLRequest
            #if canImport(FoundationNetworking)
                import FoundationNetworking
            #endif
            // import Backends (a comment is not an import)
            let importer = 1
            """
        #expect(Self.importedModules(in: text) == ["Store", "Subprocess", "FoundationNetworking", "FoundationNetworking"])
    }

    @Test(arguments: forbidden.map(\.module))
    func moduleImportsNothingItMustNotKnow(module: String) throws {
        let rule = try #require(Self.forbidden.first { $0.module == module })
        let files = try Self.swiftFiles(of: module)
        #expect(!files.isEmpty, "no sources found for \(module) under \(Self.sources.path)")
        var violations: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for imported in Self.importedModules(in: text) where rule.imports.contains(imported) {
                violations.append("\(file.path.dropFirst(Self.sources.path.count + 1)) imports \(imported)")
            }
        }
        #expect(violations.isEmpty, "\(rule.reason): \(violations.joined(separator: "; "))")
    }
}
