import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway
import ModelgateStore

struct AuditReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Check that a saved result is the one the audit log recorded.",
        discussion: """
            Reads a result document as `modelgate run` printed it (JSON), finds the event its \
            receipt names, and checks that the event still has the receipt's hash, that it is \
            this job's outcome (finished, or refused before it ran), and that the document \
            (status, numbers, reason; all but the receipt) hashes to what was recorded, and that \
            the file is the document byte for byte as the gateway wrote it. Exit 0 \
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
        let problems = try AuditChecks.receiptProblems(
            document, receipt: receipt, in: existingStore(state), asSent: text)
        if problems.isEmpty {
            print("receipt valid: job \(document.job) is event \(receipt.index) (\(receipt.hash.prefix(16))…)")
        } else {
            for problem in problems { print("receipt INVALID: \(problem)") }
            throw ExitCode(1)
        }
    }
}
