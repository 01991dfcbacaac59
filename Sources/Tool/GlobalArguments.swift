/// Lets the global options (`--store DIR`, `--quiet`, `--json`) stand before the subcommand as well as after it.
///
/// swift-argument-parser only accepts a subcommand's options after its name, so `framechain --store s runs`
/// would be a usage error. Before parsing, the options written between `framechain` and the subcommand are
/// moved to the end of the command line (before a `--` terminator, if any), where the subcommand reads them.
/// `--json` stays an option of the commands that print JSON; given to one that does not, it is the usual usage
/// error (exit 64).
enum GlobalArguments {
    /// The global flags, which take no value.
    static let flags: Set<String> = ["--quiet", "-q", "--json"]
    /// The global options, which take one value.
    static let options: Set<String> = ["--store"]

    /// `arguments` (without the program name) with the leading global options moved after the subcommand.
    ///
    /// - Parameter arguments: The command line, without `argv[0]`.
    /// - Returns: The command line swift-argument-parser can parse (see also ``joiningNegativeValues(_:)``).
    static func normalized(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if flags.contains(argument) || options.contains(where: { argument.hasPrefix($0 + "=") }) {
                leading.append(argument)
                index += 1
            } else if options.contains(argument), index + 1 < arguments.count {
                leading.append(contentsOf: arguments[index...(index + 1)])
                index += 2
            } else {
                break
            }
        }
        var rest = joiningNegativeValues(Array(arguments[index...]))
        guard !leading.isEmpty else { return rest }
        let end = rest.firstIndex(of: "--") ?? rest.endIndex
        rest.insert(contentsOf: leading, at: end)
        return rest
    }

    /// `--jobs -1` would read as a missing value followed by an unknown option `-1`; joined as `--jobs=-1` it
    /// reaches the option's own check, which names the valid range. No framechain option has a digit as its short
    /// name, so a negative number after a long option is always that option's value.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                result.append(contentsOf: arguments[index...])
                break
            }
            if argument.hasPrefix("--"), !argument.contains("="), index + 1 < arguments.count,
                let next = arguments[index + 1].first, next == "-", Int(arguments[index + 1]) != nil
            {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
            } else {
                result.append(argument)
                index += 1
            }
        }
        return result
    }
}
