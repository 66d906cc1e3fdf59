import Foundation
import GRDB
import ModelgateCore

/// What the gateway decided about a job with the release ledger in view: how it ended, and what
/// it adds to the ledger (nothing for a refusal, or a release that adds nothing new).
public struct LedgerDecision: Sendable {
    public var completion: JobCompletion
    public var entry: LedgerEntry?
    public init(completion: JobCompletion, entry: LedgerEntry?) {
        self.completion = completion
        self.entry = entry
    }
}

extension SQLiteStore {
    public func finish(
        _ job: String, ledger key: LedgerKey, after known: Int, _ decide: ([LedgerEntry]) throws -> LedgerDecision
    ) throws -> Receipt {
        try write("the end of job \(job) and its release ledger entry") { db, now in
            // The write lock is held from here: no other job, in this process or another, can
            // check against this ledger or add to it until this transaction ends.
            let decision = try decide(try Self.ledgerEntries(db, key, after: known))
            if let entry = decision.entry {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO ledger_entries (dataset, version, generation, job, splits, released, protected, atoms_file)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    key.dataset, key.version, entry.generation, entry.job, Data(LedgerEntry.encode(entry.splits)),
                    Data(LedgerEntry.encode(entry.released)), Data(LedgerEntry.encode(entry.protected)),
                    entry.atomsFile,
                ])
            }
            return try Self.recordEnd(db, decision.completion, at: now)
        }
    }

    public func ledgerEntries(_ key: LedgerKey, after known: Int) throws -> [LedgerEntry] {
        try read("the release ledger of \(key.dataset)") { db in try Self.ledgerEntries(db, key, after: known) }
    }

    static func ledgerEntries(_ db: Database, _ key: LedgerKey, after known: Int) throws -> [LedgerEntry] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT generation, job, splits, released, protected, atoms_file FROM ledger_entries
                    WHERE dataset = ? AND version = ? AND generation > ? ORDER BY generation
                    """),
            arguments: [key.dataset, key.version, known]
        ).map { row in
            LedgerEntry(
                generation: row["generation"], job: row["job"],
                splits: LedgerEntry.decodeSplits(Array(row["splits"] as Data)),
                released: LedgerEntry.decodeSets(Array(row["released"] as Data)),
                protected: LedgerEntry.decodeSets(Array(row["protected"] as Data)), atomsFile: row["atoms_file"])
        }
    }
}
