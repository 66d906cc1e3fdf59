import ArgumentParser
import ModelgateCLI

/// The executable only starts the command line; the commands live in ModelgateCLI, where tests
/// reach them. Async, because `serve` is.
@main
enum Entry {
    static func main() async {
        await ModelgateCommand.main(nil)
    }
}
