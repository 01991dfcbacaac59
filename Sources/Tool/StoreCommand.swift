import ArgumentParser
import Store

/// `framechain store`: maintenance of the store itself (`store checkpoint`).
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Maintain the store itself.",
        subcommands: [StoreCheckpointCommand.self]
    )
}
