import ArgumentParser
import Foundation
import ModelgateBenchmarks
import ModelgateCore
import ModelgateGateway
import ModelgatePostgresStore
import ModelgateSandbox
import ModelgateStore

struct AuditBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure recording: jobs per second from concurrent writer processes, then chain verification.",
        discussion: """
            Starts --writers processes that each record --jobs jobs into one fresh store, as the \
            pipeline does (admitted, then finished: two transactions and two chained events per \
            job), and times them from the first start to the last exit; then verifies the whole \
            chain they left. The store is a SQLite file in a fresh folder, or with --database an \
            empty PostgreSQL database. scripts/bench-store runs this beside the same work done by \
            Python's sqlite3 module, and checks modelgate's chain with an independent verifier; \
            scripts/bench-gateways runs it on SQLite and PostgreSQL side by side.
            """
    )

    @Option(help: "Writer processes.") var writers: Int = 4
    @Option(help: "Jobs each writer records.") var jobs: Int = 12_500
    @Option(
        help: ArgumentHelp("Where to build the store (default: a temporary folder, removed after).", valueName: "dir"))
    var state: String?
    @Option(
        help: ArgumentHelp(
            "An empty PostgreSQL database to record into instead of a SQLite file.", valueName: "url"))
    var database: String?
    @Option(help: .hidden) var writerPrincipal: String?

    func validate() throws {
        guard writers > 0, jobs > 0 else { throw ValidationError("--writers and --jobs must be positive") }
    }

    func run() throws {
        let folder =
            state.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "modelgate-store-bench-\(UUID().uuidString)", isDirectory: true)
        let url = try database.map(DatabaseURL.init)
        let open = { () throws -> any GatewayStore in
            if let url { return try PostgresStore(url: url) }
            return try SQLiteStore(state: folder)
        }
        if let writerPrincipal {
            try StoreBenchmark.write(to: open(), jobs: jobs, principal: writerPrincipal)
            return
        }
        defer { if state == nil { try? FileManager.default.removeItem(at: folder) } }
        if url == nil, SQLiteStore.exists(in: folder) {
            throw ModelgateError(
                "state_not_empty", "\(folder.path) already holds a store; the benchmark needs a fresh folder")
        }
        if url != nil, try open().event(at: 1) != nil {
            throw ModelgateError(
                "state_not_empty", "the database already holds events; the benchmark needs an empty one")
        }
        let program = try Worker.runningProgram()
        print(
            "recording \(writers) × \(jobs) jobs from \(writers) processes into \(url.map { "\($0)" } ?? folder.path) …"
        )
        let figures = try StoreBenchmark.run(open: open, writers: writers, jobsPerWriter: jobs) { index in
            (
                program,
                [
                    "audit", "bench", "--state", folder.path, "--jobs", "\(jobs)", "--writer-principal",
                    "writer-\(index)",
                ]
                    + (database.map { ["--database", $0] } ?? [])
            )
        }
        print(
            String(
                format: "record: %d jobs in %.3f s = %.0f jobs/s (%d writers)", figures.jobs, figures.recordSeconds,
                figures.jobsPerSecond, figures.writers))
        print(
            String(
                format: "verify: %d events in %.3f s (%@)", figures.events, figures.verifySeconds,
                figures.chainIntact ? "intact" : "BROKEN"))
        guard figures.chainIntact else { throw ExitCode(1) }
    }
}
