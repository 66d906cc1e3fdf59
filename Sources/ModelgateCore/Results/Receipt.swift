/// Where a job's record sits in the audit log: the index of its event and that event's hash.
///
/// A researcher keeps it with the result; an auditor finds the event by `index` and checks that
/// its hash is still `hash` and that the chain through it verifies (`modelgate audit verify`).
package struct Receipt: Sendable, Equatable, Codable {
    package var index: Int
    /// SHA-256 (hex) of the event, which covers the hash of the event before it.
    package var hash: String

    package init(index: Int, hash: String) {
        self.index = index
        self.hash = hash
    }
}
