import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateStore

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
