import ArgumentParser
import Foundation
import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Options every command takes: where the store is.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "The store directory (default: $FRAMECHAIN_STORE, else ./.framechain).", valueName: "dir"))
    var store: String?

    @Flag(
        name: [.customLong("quiet"), .customShort("q")],
        help: "Print only errors and the data asked for (no progress, no summaries).")
    var quiet = false

    /// The environment variable that names the store when `--store` is absent.
    static let environmentVariable = "FRAMECHAIN_STORE"

    func validate() throws {
        if store?.isEmpty == true { throw ValidationError("--store must not be empty.") }
    }

    /// The store directory: `--store`, else `$FRAMECHAIN_STORE` when set and not empty, else `./.framechain`.
    var storeDirectory: String {
        if let store { return store }
        if let value = getenv(Self.environmentVariable), value.pointee != 0 { return String(cString: value) }
        return Store.defaultDirectory
    }

    /// Opens the store, creating it (mode 0700) if it does not exist.
    ///
    /// - Throws: ``StoreError`` if it cannot be created or opened.
    func openStore() throws(StoreError) -> Store {
        try Store(directory: storeDirectory)
    }

    /// Opens a store that must already exist, for commands that only read: they never create one.
    ///
    /// - Throws: ``StoreError`` `notFound` if there is no store directory, or any error of opening.
    func openExistingStore() throws(StoreError) -> Store {
        let directory = storeDirectory
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw StoreError(code: .notFound, message: "no framechain store at \(directory)")
        }
        return try Store(directory: directory)
    }

    /// Writes an informational line (a summary, a confirmation) to standard output unless `--quiet` is given.
    func inform(_ line: String) {
        if !quiet { StandardStream.output.writeLine(line) }
    }

    /// Writes informational text as it is unless `--quiet` is given.
    func informText(_ text: String) {
        if !quiet { StandardStream.output.write(text) }
    }

    /// Whether a store exists at ``storeDirectory``.
    var storeExists: Bool {
        var info = stat()
        return stat(storeDirectory, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Runs `body` with the store, or — when there is none yet — with an empty throwaway store, so that
    /// commands that only read (`status`, an offline run that will miss) never create a store as a side effect.
    func withStoreForReading<T>(_ body: (Store) async throws -> T) async throws -> T {
        if storeExists { return try await body(try openStore()) }
        var template = Array("/tmp/framechain-empty-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw StoreError(
                code: .io, message: "cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(try Store(directory: directory + "/store"))
    }
}
