import ArgumentParser
import Chain
import Store

/// The process exit statuses of SPEC §5, and the one place that maps an error to its status.
///
/// Every command runs its work through ``reportingErrors(_:)``: an error is printed once to standard error as
/// `Error: <message>` and turned into an `ExitCode`. Errors that swift-argument-parser handles itself (usage
/// errors, `--help`, an explicit `ExitCode`) pass through untouched, so usage errors keep exit status 64.
enum ExitStatus {
    /// Everything succeeded.
    static let success: Int32 = 0
    /// A runtime failure: I/O, the database, or (for `run`) generations that failed.
    static let failure: Int32 = 1
    /// Invalid input data: a missing, non-regular or unreadable file, a malformed or unknown digest.
    static let invalidInput: Int32 = 2
    /// A link needed generating but `--offline` or `replay` forbids it.
    static let offlineMiss: Int32 = 3
    /// A blob or key does not verify.
    static let integrity: Int32 = 4
    /// Interrupted by SIGINT or SIGTERM.
    static let interrupted: Int32 = 130

    /// The exit status for `error`.
    ///
    /// - Parameter error: Any error thrown by a command's work.
    /// - Returns: 2 for a missing or invalid input, 4 for an integrity failure, 130 for cancellation, and 1 for
    ///   everything else (I/O, database, a store written by a newer framechain).
    static func code(for error: any Error) -> Int32 {
        switch error {
        case StoreError.notFound, StoreError.invalidInput: invalidInput
        case StoreError.integrity: integrity
        case is PlanError, is GeneratorError: invalidInput
        case let error as ChainError:
            switch error {
            case .offlineMiss: offlineMiss
            case .overBudget: invalidInput
            case .invalidTake: 64
            }
        case let error as RemoteCacheError: error.kind == .rejected ? integrity : failure
        case is CancellationError: interrupted
        default: failure
        }
    }

    /// Prints `Error: <message>` to standard error and returns the exit status for `error`.
    ///
    /// Use it where a command goes on after a failure (`blob hash` reports each file); otherwise use
    /// ``reportingErrors(_:)``.
    static func report(_ error: any Error) -> Int32 {
        StandardStream.error.writeLine("Error: \(SecretRedactor().redact("\(error)"))")
        return code(for: error)
    }

    /// Runs a command's work, reporting any error and turning it into its exit status.
    ///
    /// - Parameter body: The work.
    /// - Returns: What `body` returns.
    /// - Throws: `ExitCode` with the status for the error (after printing it), or swift-argument-parser's own
    ///   errors unchanged.
    static func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error where passesThrough(error) {
            throw error
        } catch {
            throw ExitCode(report(error))
        }
    }

    /// Whether swift-argument-parser reports `error` itself.
    private static func passesThrough(_ error: any Error) -> Bool {
        error is ExitCode || error is ValidationError || error is CleanExit
    }
}
