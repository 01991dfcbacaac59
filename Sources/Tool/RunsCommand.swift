import ArgumentParser
import Store

/// `framechain runs`: the history of runs (`runs list`, the default) and forgetting old ones (`runs delete`).
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List recorded runs, or delete old ones.",
        subcommands: [RunsListCommand.self, RunsDeleteCommand.self],
        defaultSubcommand: RunsListCommand.self
    )
}
