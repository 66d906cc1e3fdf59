import ModelgateCLI

// The executable only starts the command line; the commands live in ModelgateCLI, where tests reach them.
ModelgateCommand.main()
