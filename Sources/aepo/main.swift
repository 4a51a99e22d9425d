import AEPOCommands

// `await AEPOCommand.main()` resolves to ParsableCommand's synchronous overload with this toolchain, which
// refuses an asynchronous root command; parse through the asynchronous entry point and run the (synchronous)
// subcommand directly.
do {
    var command = try await AEPOCommand.asyncParseAsRoot()
    try command.run()
} catch {
    AEPOCommand.exit(withError: error)
}
