import ArgumentParser
import Foundation
import Logging
import ModelgateCore
import ModelgatePostgresStore
import ModelgateStore

/// The `modelgate` command line: thin commands that parse, call the gateway, and print.
@available(macOS 10.15, *)
package struct ModelgateCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "modelgate",
        abstract: "Results from sensitive public data, never the data itself.",
        discussion: """
            A data owner writes a policy for a dataset and ingests it; a researcher sends a model \
            spec (a table, a summary, a histogram, a regression); modelgate admits it against the \
            policy, runs it, checks the output for disclosure and returns results only.

            Start with `modelgate demo`, which builds a synthetic household survey and runs every \
            example spec in models/.
            """,
        version: ModelgateCommand.version,
        subcommands: [
            ServeCommand.self, DemoCommand.self, RunCommand.self, IngestCommand.self, PolicyCommand.self,
            PrincipalCommand.self, AuditCommand.self, UsageCommand.self, SandboxCommand.self, LedgerCommand.self,
            PrivacyCommand.self, SubmitCommand.self, JobsCommand.self,
        ]
    )

    package init() {}
}

extension ModelgateCommand {
    /// This release of modelgate, as `modelgate --version` prints it.
    package static let version = "0.9.0"
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log each job's progress to standard error.")
    var verbose = false

    /// A logger to standard error, so standard output stays the result alone.
    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .info : .warning
        return logger
    }
}

/// Where modelgate keeps its state: the datasets and the store (catalog, jobs, audit log).
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("State folder.", valueName: "dir"))
    var state: String = ".modelgate"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store on a PostgreSQL server (postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]), for several gateways sharing one database (default: $MODELGATE_DATABASE; without either, STATE/modelgate.sqlite). The datasets and release ledgers stay in the state folder, which the gateways then share.",
            valueName: "url"))
    var database: String?

    var url: URL { URL(fileURLWithPath: state, isDirectory: true) }

    /// The PostgreSQL server named by --database or $MODELGATE_DATABASE, if any.
    var databaseURL: DatabaseURL? {
        get throws {
            let text = database ?? ProcessInfo.processInfo.environment["MODELGATE_DATABASE"]
            guard let text, !text.isEmpty else { return nil }
            return try DatabaseURL(text)
        }
    }

    /// The store: on the PostgreSQL server if one is named, else the state folder's SQLite file
    /// (`pooled` for a long-running server: a writer and concurrent readers).
    /// `connections`: PostgreSQL connections to pool (a server needs more than its job slots:
    /// a job waiting for a release ledger's lock holds one).
    func openStore(pooled: Bool = false, connections: Int = 8) throws -> any GatewayStore {
        if let url = try databaseURL { return try PostgresStore(url: url, connections: connections) }
        return try SQLiteStore(state: self.url, pooled: pooled)
    }

    /// The store, for a command that reads it: a SQLite file that does not exist yet is not
    /// created (nothing was recorded there).
    func existingStore() throws -> any GatewayStore {
        if try databaseURL == nil, !SQLiteStore.exists(in: url) {
            throw ModelgateError(
                "no_store",
                "there is no audit log in \(state): nothing has been recorded there yet (pass --state or --database, or run `modelgate demo` or `modelgate ingest` first)"
            )
        }
        return try openStore()
    }
}

/// Reads a whole UTF-8 text file, with an error that names it (exit status 1, like any error).
func readText(_ path: String, what: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ModelgateError("file_unreadable", "cannot read \(what) '\(path)': no such file, or not readable")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw ModelgateError("file_unreadable", "\(what) '\(path)' is not UTF-8 text")
    }
    return text
}
