import ArgumentParser
import ModelgateGateway
import ModelgateStore

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

    /// Checked here, before running, so that a malformed anchor shows this command's usage.
    func validate() throws {
        _ = try anchors.map(Self.parseAnchor)
    }

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
        if let broken = try AuditChecks.brokenAnchor(parsed, in: store, events: verification.count) {
            print("audit log BROKEN: \(broken)")
            throw ExitCode(1)
        }
        print("audit log intact: \(verification.count) events, head \(verification.headHash)")
        if !parsed.isEmpty { print("\(parsed.count) anchor(s) found with their hashes") }
    }

    static func parseAnchor(_ text: String) throws -> (index: Int, hash: String) {
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
