import Foundation
import ModelgateCore
import ModelgateStore

/// What an auditor or a researcher checks against the audit log: that a saved result is the one
/// recorded, and that events noted earlier (receipts, heads) are still there with their hashes.
/// The command line and, later, the API say what these find; neither holds the rules.
package enum AuditChecks {
    /// What is wrong with `document`'s receipt against the log; empty when it holds: the event it
    /// names still has its hash and is valid, is this job's outcome (finished, or refused before
    /// it ran), and recorded the hash of exactly this document (all but the receipt).
    package static func receiptProblems(
        _ document: JobResult, receipt: Receipt, in store: any GatewayStore, asSent text: String
    ) throws -> [String] {
        guard let event = try store.event(at: receipt.index) else {
            return ["the audit log has no event \(receipt.index)"]
        }
        var problems: [String] = []
        // The text must be the one the gateway wrote, byte for byte (surrounding white space
        // aside), receipt included: no key added, repeated or reordered, no number written
        // another way, so that every reader of it reads what was checked.
        if text.trimmingCharacters(in: .whitespacesAndNewlines) != (try? document.jsonText()) {
            problems.append(
                "the document is not byte for byte the one the gateway wrote (a key or value added, "
                    + "repeated or changed, or the text reformatted); check it exactly as received")
        }
        if event.hash != receipt.hash { problems.append("event \(receipt.index) no longer has the receipt's hash") }
        if !event.hashIsValid { problems.append("event \(receipt.index) does not match its own hash") }
        if event.job != document.job { problems.append("event \(receipt.index) is not about job \(document.job)") }
        // A receipt names the job's last event: how it finished, or its refusal before it ran.
        if event.kind != .jobFinished && event.kind != .jobRefused {
            problems.append(
                "event \(receipt.index) is \(withIndefiniteArticle(event.kind.rawValue)) event, not a job's outcome")
        }
        // The hash covers the whole document: its status, its numbers, its reason.
        let recorded = try? JSONDecoder().decode(RecordedHash.self, from: Data(event.detail.utf8)).resultHash
        let actual = try document.contentHash()
        if recorded != actual {
            problems.append("the result's content hashes to \(actual), the log recorded \(recorded ?? "none")")
        }
        return problems
    }

    /// The first anchor (an event index and the hash it had) the log no longer holds as it was,
    /// said in words; nil when every one is there with its hash.
    package static func brokenAnchor(_ anchors: [(index: Int, hash: String)], in store: any GatewayStore, events: Int)
        throws -> String?
    {
        for (index, hash) in anchors {
            guard let event = try store.event(at: index) else {
                return "anchor event \(index) is gone (the log has \(events) events)"
            }
            guard event.hash == hash else { return "event \(index) has hash \(event.hash), not the anchor's \(hash)" }
        }
        return nil
    }

    private struct RecordedHash: Decodable { var resultHash: String? }
}
