import ArgumentParser
import Store

/// `framechain blob hash FILE…`: prints each file's digest, like `sha256sum`; needs no store.
struct BlobHashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the digest of each file (sha256:<hex>  FILE); uses no store.",
        discussion: """
            A file that cannot be hashed is reported on standard error and the others are still hashed; the \
            exit status is then that of the first failure (2 for a missing, non-regular or unreadable file).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The files to hash.", valueName: "file"))
    var files: [String] = []

    func validate() throws {
        try BlobCommand.validate(files: files)
    }

    func run() async throws {
        var status = ExitStatus.success
        for path in files {
            do {
                let (digest, _) = try FileHasher.hash(fileAt: path)
                StandardStream.output.writeLine(BlobCommand.line(digest: digest, path: path))
            } catch {
                let code = ExitStatus.report(error)
                if status == ExitStatus.success { status = code }
            }
        }
        if status != ExitStatus.success { throw ExitCode(status) }
    }
}
