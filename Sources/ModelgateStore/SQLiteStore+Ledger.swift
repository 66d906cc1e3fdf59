import Foundation
import GRDB
import ModelgateCore

/// What the gateway decided about a job with the release ledger in view: how it ended, and what
/// it adds to the ledger (nothing for a refusal, or a release that adds nothing new).
package struct LedgerDecision: Sendable {
    package var completion: JobCompletion
    package var entry: LedgerEntry?
    package init(completion: JobCompletion, entry: LedgerEntry?) {
        self.completion = completion
        self.entry = entry
    }
}

extension SQLiteStore {
    package func finish(
        _ job: String, ledger key: LedgerKey, after known: Int, _ decide: ([LedgerEntry]) throws -> LedgerDecision
    ) throws -> Receipt {
        try write("the end of job \(job) and its release ledger entry") { db, now in
            // The write lock is held from here: no other job, in this process or another, can
            // check against this ledger or add to it until this transaction ends.
            let decision = try decide(try Self.ledgerEntries(db, key, after: known))
            if let entry = decision.entry {
                let stored = try StoredLedgerEntry(entry)
                try db.cachedStatement(
                    sql: """
                        INSERT INTO ledger_entries (dataset, version, \(StoredLedgerEntry.columns))
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    key.dataset, key.version, stored.generation, stored.job, stored.splits, stored.released,
                    stored.protected, stored.measures, stored.measured, stored.valueProtected, stored.weightedFeatures,
                    stored.weightedSamples, stored.weighted, stored.atomsFile,
                ])
            }
            return try Self.recordEnd(db, decision.completion, at: now)
        }
    }

    package func ledgerEntries(_ key: LedgerKey, after known: Int) throws -> [LedgerEntry] {
        try read("the release ledger of \(key.dataset)") { db in try Self.ledgerEntries(db, key, after: known) }
    }

    static func ledgerEntries(_ db: Database, _ key: LedgerKey, after known: Int) throws -> [LedgerEntry] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT \(StoredLedgerEntry.columns)
                    FROM ledger_entries WHERE dataset = ? AND version = ? AND generation > ? ORDER BY generation
                    """),
            arguments: [key.dataset, key.version, known]
        ).map { row in
            try StoredLedgerEntry(
                generation: row["generation"], job: row["job"], splits: row["splits"], released: row["released"],
                protected: row["protected"], measures: row["measures"], measured: row["measured"],
                valueProtected: row["value_protected"], weightedFeatures: row["weighted_features"],
                weightedSamples: row["weighted_samples"], weighted: row["weighted"], atomsFile: row["atoms_file"]
            ).entry()
        }
    }
}
