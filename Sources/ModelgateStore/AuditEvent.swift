import Crypto
import ModelgateCore

/// One entry of the append-only audit log.
///
/// Each event carries the hash of the one before it, and its own hash covers every field below
/// (``AuditEvent/computeHash()``), so changing, inserting, deleting or reordering any event breaks
/// the chain at a place `modelgate audit verify` names.
package struct AuditEvent: Sendable, Equatable, Codable {
    /// Position in the log, from 1, without gaps.
    package var index: Int
    /// When it was recorded: ISO 8601, UTC, milliseconds (``Timestamp``).
    package var at: String
    package var kind: Kind
    /// Who caused it: a principal's name, or `operator` for the command line.
    package var principal: String?
    package var dataset: String?
    package var job: String?
    /// What happened, as a JSON object with sorted keys. Hashed as stored, byte for byte.
    package var detail: String
    /// Hash of the event at `index - 1`; 64 zeros for the first event.
    package var previousHash: String
    package var hash: String

    /// Event kinds are an open set, like refusal codes: later issues add agreement and
    /// suspension events without breaking readers.
    package struct Kind: OpenCode {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        /// A dataset version was ingested (or first seen by the store).
        package static let datasetIngested: Self = "dataset_ingested"
        /// A policy text not seen before was loaded for a dataset.
        package static let policyLoaded: Self = "policy_loaded"
        /// A job passed admission and is about to run; committed before its worker starts.
        package static let jobAdmitted: Self = "job_admitted"
        /// A job ended: released, refused at output checking, or failed in its worker.
        package static let jobFinished: Self = "job_finished"
        /// A job was refused before it ran (bad spec, unknown dataset, policy, quota).
        package static let jobRefused: Self = "job_refused"
        /// A job was found admitted but unfinished, its process gone: it will never finish.
        package static let jobInterrupted: Self = "job_interrupted"
    }

    /// The hash the first event links to.
    package static let genesisHash = String(repeating: "0", count: 64)

    package init(
        index: Int, at: String, kind: Kind, principal: String?, dataset: String?, job: String?, detail: String,
        previousHash: String
    ) {
        self.init(
            index: index, at: at, kind: kind, principal: principal, dataset: dataset, job: job, detail: detail,
            previousHash: previousHash, storedHash: "")
        hash = computeHash()
    }

    /// An event as read back, with the hash it was stored with (verification compares it with
    /// ``computeHash()``).
    package init(
        index: Int, at: String, kind: Kind, principal: String?, dataset: String?, job: String?, detail: String,
        previousHash: String, storedHash: String
    ) {
        self.index = index
        self.at = at
        self.kind = kind
        self.principal = principal
        self.dataset = dataset
        self.job = job
        self.detail = detail
        self.previousHash = previousHash
        self.hash = storedHash
    }

    /// SHA-256 (hex) over the canonical encoding of every field but `hash`.
    ///
    /// The encoding is written here by hand because it is ours to define: a version tag, then
    /// each field in a fixed order, a string as a presence byte, its UTF-8 length (8 bytes, big
    /// endian) and its bytes, the index as 8 bytes big endian. No two different events encode
    /// alike, and any tool can reproduce it from an export.
    package func computeHash() -> String {
        var sha = SHA256()
        sha.update(data: Array("modelgate-audit-v1\u{0}".utf8))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + detail.utf8.count)
        Self.append(UInt64(bitPattern: Int64(index)), to: &bytes)
        for field in [at, kind.rawValue, principal, dataset, job, detail, previousHash] {
            guard let field else {
                bytes.append(0)
                continue
            }
            bytes.append(1)
            Self.append(UInt64(field.utf8.count), to: &bytes)
            bytes.append(contentsOf: field.utf8)
        }
        sha.update(data: bytes)
        return Hex.string(sha.finalize())
    }

    /// Whether the stored `hash` still matches the fields.
    package var hashIsValid: Bool { computeHash() == hash }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
}
