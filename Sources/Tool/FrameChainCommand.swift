import ArgumentParser
import Chain
import Store

@main
struct FrameChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "framechain",
        abstract: "A content-addressed cache and replay system for chained image generation.",
        version: FrameChainVersion.current,
        subcommands: [
            RunCommand.self, StatusCommand.self, LineageCommand.self, RunsCommand.self, ShowCommand.self,
            DiffCommand.self, ReplayCommand.self, ExportCommand.self, ImportCommand.self, VerifyCommand.self,
            GCCommand.self, ReportCommand.self, BlobCommand.self, StoreCommand.self, ServeCommand.self,
            PushCommand.self, PullCommand.self,
            ExportVideoCommand.self,
        ]
    )

    /// Parses the command line with the global options allowed before the subcommand, then runs the command.
    static func main() async {
        await main(GlobalArguments.normalized(Array(CommandLine.arguments.dropFirst())))
    }
}
