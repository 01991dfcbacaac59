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
            GCCommand.self, ReportCommand.self, BlobCommand.self, ExportVideoCommand.self,
        ]
    )
}
