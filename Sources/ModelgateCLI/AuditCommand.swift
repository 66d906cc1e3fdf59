import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway
import ModelgateSandbox
import ModelgateStore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and check receipts against the tamper-evident audit log.",
        discussion: """
            Every dataset version, policy version and job (admitted, finished, refused, \
            interrupted) is an event in the state's audit log. Each event carries the SHA-256 of \
            the one before it, so changing, inserting, deleting or reordering any event breaks \
            the chain at a place `audit verify` names.
            """,
        subcommands: [
            AuditVerifyCommand.self, AuditExportCommand.self, AuditReceiptCommand.self, AuditBenchCommand.self,
        ]
    )
}

/// Opens the store of a state folder for reading, refusing to create one.
func existingStore(_ state: StateOptions) throws -> SQLiteStore {
    guard SQLiteStore.exists(in: state.url) else {
        throw ModelgateError(
            "no_store",
            "there is no audit log in \(state.state): nothing has been recorded there yet (pass --state, or run `modelgate demo` or `modelgate ingest` first)"
        )
    }
    return try SQLiteStore(state: state.url)
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the whole hash chain of the audit log.",
        discussion: """
            Recomputes every event's hash from its fields and checks that it links to the event \
            before it. Exit status 0 when the chain is intact (it prints the event count and the \
            head hash: note them, and a later `--anchor` shows nothing was cut off or rewritten \
            since); 1 naming the first broken event and what is wrong with it.

            A chain alone cannot show that its newest events were removed: the receipts \
            researchers hold, and heads noted earlier, can. Pass them as --anchor INDEX:HASH.
            """
    )

    @OptionGroup var state: StateOptions
    @Option(
        name: .customLong("anchor"),
        help: ArgumentHelp(
            "An event that must still be there with this hash (a receipt, or a head noted earlier).",
            valueName: "index:hash"))
    var anchors: [String] = []

    func run() throws {
        let parsed = try anchors.map(Self.parseAnchor)
        let store = try existingStore(state)
        let verification = try store.verifyChain(progress: TerminalProgress.counter("verified"))
        TerminalProgress.finish()
        if let failure = verification.failure {
            print("audit log BROKEN at event \(failure.index): \(failure.problem)")
            print("events 1–\(verification.count) verify; nothing from event \(failure.index) on can be trusted")
            throw ExitCode(1)
        }
        for (index, hash) in parsed {
            guard let event = try store.event(at: index) else {
                print("audit log BROKEN: anchor event \(index) is gone (the log has \(verification.count) events)")
                throw ExitCode(1)
            }
            guard event.hash == hash else {
                print("audit log BROKEN: event \(index) has hash \(event.hash), not the anchor's \(hash)")
                throw ExitCode(1)
            }
        }
        print("audit log intact: \(verification.count) events, head \(verification.headHash)")
        if !parsed.isEmpty { print("\(parsed.count) anchor(s) found with their hashes") }
    }

    static func parseAnchor(_ text: String) throws -> (Int, String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let index = Int(parts[0]), index > 0, parts[1].count == 64,
            parts[1].allSatisfy(\.isHexDigit)
        else {
            throw ValidationError(
                "--anchor must be INDEX:HASH with a 64-digit hex hash, e.g. 12:9f86d0…; got '\(text)'")
        }
        return (index, parts[1].lowercased())
    }
}

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case json, csv
}

struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write audit events, filtered, as JSON or CSV on standard output.",
        discussion: """
            Each event is written with every field its hash covers (index, at, kind, principal, \
            dataset, job, detail exactly as stored, previousHash, hash), so an export can be \
            checked event by event without modelgate (from JSON: CSV writes an absent field and \
            an empty one alike, so recompute hashes from the JSON export). Times are UTC; \
            --since and --until take a day (2026-01-01) or a time (2026-01-01T08:00:00Z); \
            --until is exclusive.
            """
    )

    @OptionGroup var state: StateOptions
    @Option(help: ArgumentHelp("Events at or after this day or time.", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Events before this day or time.", valueName: "time")) var until: String?
    @Option(help: ArgumentHelp("Events about this dataset.", valueName: "id")) var dataset: String?
    @Option(help: ArgumentHelp("Events caused by this principal.", valueName: "name")) var principal: String?
    @Option(help: ArgumentHelp("Events of this kind, e.g. job_refused.", valueName: "kind")) var kind: String?
    @Option(help: "Output format.") var format: ExportFormat = .json

    func validate() throws {
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, Timestamp.parse(value) == nil {
                throw ValidationError("\(name) '\(value)' is not a day (2026-01-01) or an ISO 8601 time")
            }
        }
    }

    func run() throws {
        let store = try existingStore(state)
        let filter = AuditFilter(
            since: since.flatMap(Timestamp.parse).map(Timestamp.string),
            until: until.flatMap(Timestamp.parse).map(Timestamp.string), dataset: dataset, principal: principal,
            kind: kind.map(AuditEvent.Kind.init(rawValue:)))
        let output = BufferedOutput()
        var count = 0
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            output.write("[")
            try store.forEachEvent(filter) { event in
                output.write((count == 0 ? "\n" : ",\n") + String(decoding: try encoder.encode(event), as: UTF8.self))
                count += 1
            }
            output.write(count == 0 ? "]\n" : "\n]\n")
        case .csv:
            output.write("index,at,kind,principal,dataset,job,detail,previousHash,hash\n")
            try store.forEachEvent(filter) { event in
                let fields = [
                    String(event.index), event.at, event.kind.rawValue, event.principal ?? "", event.dataset ?? "",
                    event.job ?? "", event.detail, event.previousHash, event.hash,
                ]
                output.write(fields.map(Self.csvField).joined(separator: ",") + "\n")
                count += 1
            }
        }
        output.flush()
        FileHandle.standardError.write(Data("exported \(count) events\n".utf8))
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
    static func csvField(_ text: String) -> String {
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

struct AuditReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Check that a saved result is the one the audit log recorded.",
        discussion: """
            Reads a result document as `modelgate run` printed it (JSON), finds the event its \
            receipt names, and checks that the event still has the receipt's hash, that it is \
            this job's outcome (finished, or refused before it ran), and that the document \
            (status, numbers, reason; all but the receipt) hashes to what was recorded. Exit 0 \
            when all hold, 1 otherwise. Run `audit verify` too: it checks the chain around it.
            """
    )

    @Argument(help: ArgumentHelp("The result document (JSON).", valueName: "result")) var result: String
    @OptionGroup var state: StateOptions

    func run() throws {
        let text = try readText(result, what: "result")
        let document: JobResult
        do {
            document = try JobResult(jsonText: text)
        } catch {
            throw ModelgateError("invalid_result", "'\(result)' is not a modelgate result document: \(error)")
        }
        guard let receipt = document.receipt else {
            throw ModelgateError("no_receipt", "'\(result)' carries no receipt: it was not recorded by a store")
        }
        let store = try existingStore(state)
        var problems: [String] = []
        if let event = try store.event(at: receipt.index) {
            if event.hash != receipt.hash { problems.append("event \(receipt.index) no longer has the receipt's hash") }
            if !event.hashIsValid { problems.append("event \(receipt.index) does not match its own hash") }
            if event.job != document.job { problems.append("event \(receipt.index) is not about job \(document.job)") }
            // A receipt names the job's last event: how it finished, or its refusal before it ran.
            if event.kind != .jobFinished && event.kind != .jobRefused {
                problems.append("event \(receipt.index) is a \(event.kind.rawValue) event, not a job's outcome")
            }
            // The hash covers the whole document: its status, its numbers, its reason.
            let recorded = try? JSONDecoder().decode(RecordedHash.self, from: Data(event.detail.utf8)).resultHash
            let actual = try document.contentHash()
            if recorded != actual {
                problems.append("the result's content hashes to \(actual), the log recorded \(recorded ?? "none")")
            }
        } else {
            problems.append("the audit log has no event \(receipt.index)")
        }
        if problems.isEmpty {
            print("receipt valid: job \(document.job) is event \(receipt.index) (\(receipt.hash.prefix(16))…)")
        } else {
            for problem in problems { print("receipt INVALID: \(problem)") }
            throw ExitCode(1)
        }
    }

    private struct RecordedHash: Decodable { var resultHash: String? }
}

/// Standard output in large writes, for exports of many events.
final class BufferedOutput {
    private var buffer: [UInt8] = []

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

struct AuditBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure recording: jobs per second from concurrent writer processes, then chain verification.",
        discussion: """
            Starts --writers processes that each record --jobs jobs into one fresh store, as the \
            pipeline does (admitted, then finished: two transactions and two chained events per \
            job), and times them from the first start to the last exit; then verifies the whole \
            chain they left. scripts/bench-store runs this beside the same work done by Python's \
            sqlite3 module, and checks modelgate's chain with an independent verifier.
            """
    )

    @Option(help: "Writer processes.") var writers: Int = 4
    @Option(help: "Jobs each writer records.") var jobs: Int = 12_500
    @Option(
        help: ArgumentHelp("Where to build the store (default: a temporary folder, removed after).", valueName: "dir"))
    var state: String?
    @Option(help: .hidden) var writerPrincipal: String?

    func validate() throws {
        guard writers > 0, jobs > 0 else { throw ValidationError("--writers and --jobs must be positive") }
    }

    func run() throws {
        let folder =
            state.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "modelgate-store-bench-\(UUID().uuidString)", isDirectory: true)
        if let writerPrincipal {
            try StoreBenchmark.write(state: folder, jobs: jobs, principal: writerPrincipal)
            return
        }
        defer { if state == nil { try? FileManager.default.removeItem(at: folder) } }
        if SQLiteStore.exists(in: folder) {
            throw ValidationError("\(folder.path) already holds a store; the benchmark needs a fresh folder")
        }
        let program = try Worker.runningProgram()
        print("recording \(writers) × \(jobs) jobs from \(writers) processes into \(folder.path) …")
        let figures = try StoreBenchmark.run(state: folder, writers: writers, jobsPerWriter: jobs) { index in
            (
                program,
                [
                    "audit", "bench", "--state", folder.path, "--jobs", "\(jobs)", "--writer-principal",
                    "writer-\(index)",
                ]
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
