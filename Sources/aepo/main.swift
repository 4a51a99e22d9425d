import AEPOCommands

await AEPOCommand.main()
