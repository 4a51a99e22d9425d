import AEPOCommands

/// The `aepo` executable: parses the command line and runs the chosen subcommand (synchronous or asynchronous).
@main
enum AEPOMain {
    static func main() async {
        await AEPOCommand.main()
    }
}
