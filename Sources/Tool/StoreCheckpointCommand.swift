import ArgumentParser
import Store

/// `framechain store checkpoint`: copies SQLite's write-ahead log into `framechain.sqlite`, so that the main file
/// alone holds every commit (before a backup or a copy of the store).
struct StoreCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Make framechain.sqlite complete on its own (copy the write-ahead log into it and empty the log).",
        discussion: """
            Every run ends with a checkpoint that does not wait; this one waits (up to the busy timeout) for \
            other framechain processes and then empties framechain.sqlite-wal. Afterwards the directory can be \
            backed up with framechain.sqlite and blobs/ alone. Exit status: 0 done; 1 another process kept the \
            log busy (nothing lost; try again) or the database failed; 2 no store; 4 the store's -wal file is \
            missing while it still held commits.
            """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let result = try store.checkpoint(waiting: true)
            guard result.isComplete else {
                throw StoreError(
                    code: .database,
                    message: "checkpoint incomplete: another process is using the store (\(result.checkpointedFrames) "
                        + "of \(result.logFrames) pages copied); nothing is lost, try again when it has finished")
            }
            global.inform(
                "\(store.directory)/framechain.sqlite now holds everything (the write-ahead log is empty)")
        }
    }
}
