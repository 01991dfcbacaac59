import Chain
import Store
import Synchronization

/// Counts the calls made for each request key, so that a simulated flaky failure can depend on the attempt
/// number and a retry can succeed.
///
/// Shared by all copies of one ``ProceduralGenerator``; safe to use from concurrent tasks.
final class AttemptLedger: Sendable {
    private let attempts = Mutex<[Digest: Int]>([:])

    /// Records one more attempt for `key`.
    ///
    /// - Parameter key: The request key.
    /// - Returns: The attempt number, 1 for the first call with this key.
    func recordAttempt(for key: Digest) -> Int {
        attempts.withLock { attempts in
            let attempt = (attempts[key] ?? 0) + 1
            attempts[key] = attempt
            return attempt
        }
    }
}
