/// Walks the audit log in index order and finds the first place where the chain is broken.
///
/// Feed it every event from index 1 on (``check(_:)``); it keeps only the previous event's index
/// and hash, so a chain of any length verifies in constant memory.
package struct ChainVerifier: Sendable {
    package private(set) var count = 0
    package private(set) var headHash = AuditEvent.genesisHash

    package init() {}

    /// Checks the next event; returns what is wrong with it, or nil when it links correctly.
    package mutating func check(_ event: AuditEvent) -> ChainBreak? {
        let expected = count + 1
        if event.index != expected {
            return ChainBreak(
                index: expected,
                problem: event.index > expected
                    ? "event \(expected) is missing (the next event is \(event.index)): an event was deleted"
                    : "event \(event.index) appears again after \(count): the log was reordered or duplicated")
        }
        if event.previousHash != headHash {
            return ChainBreak(
                index: event.index,
                problem:
                    "its previous-hash \(event.previousHash.prefix(16))… is not event \(count)'s hash \(headHash.prefix(16))…: an event was inserted or removed here, or event \(count) was rewritten with a new hash"
            )
        }
        let recomputed = event.computeHash()
        if recomputed != event.hash {
            return ChainBreak(
                index: event.index,
                problem:
                    "its content does not match its hash (stored \(event.hash.prefix(16))…, computed \(recomputed.prefix(16))…): a field of this event was changed"
            )
        }
        count = event.index
        headHash = event.hash
        return nil
    }
}

/// The first broken link of an audit chain.
package struct ChainBreak: Sendable, Equatable, Error, CustomStringConvertible {
    /// The index where the chain stops verifying.
    package var index: Int
    package var problem: String

    package var description: String { "event \(index): \(problem)" }

    package init(index: Int, problem: String) {
        self.index = index
        self.problem = problem
    }
}

/// The outcome of verifying a whole audit log.
package struct ChainVerification: Sendable, Equatable {
    /// Events that verified, from index 1.
    package var count: Int
    /// Hash of the last event that verified (the head, when nothing is broken).
    package var headHash: String
    /// The first broken link; nil when the whole chain verifies.
    package var failure: ChainBreak?

    package init(count: Int, headHash: String, failure: ChainBreak?) {
        self.count = count
        self.headHash = headHash
        self.failure = failure
    }
}
