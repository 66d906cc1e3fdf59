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
                let features = entry.weightedSamples.keys.sorted()
                try db.cachedStatement(
                    sql: """
                        INSERT INTO ledger_entries (dataset, version, generation, job, splits, released, protected,
                            measures, measured, value_protected, weighted_features, weighted_samples, weighted,
                            atoms_file)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    key.dataset, key.version, entry.generation, entry.job, Data(LedgerEntry.encode(entry.splits)),
                    Data(LedgerEntry.encode(entry.released)), Data(LedgerEntry.encode(entry.protected)),
                    try entry.measures.map(Self.measuresText), Data(LedgerEntry.encode(entry.measured)),
                    Data(LedgerEntry.encode(groups: (entry.measures ?? []).map { entry.valueProtected[$0] ?? [] })),
                    try Self.measuresText(features),
                    Data(LedgerEntry.encode(groups: features.map { entry.weightedSamples[$0] ?? [] })),
                    Data(LedgerEntry.encode(entry.weighted)), entry.atomsFile,
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
                    SELECT generation, job, splits, released, protected, measures, measured, value_protected,
                        weighted_features, weighted_samples, weighted, atoms_file
                    FROM ledger_entries WHERE dataset = ? AND version = ? AND generation > ? ORDER BY generation
                    """),
            arguments: [key.dataset, key.version, known]
        ).map { row in
            let measures = try (row["measures"] as String?).map(Self.measures(from:))
            let valueProtected = LedgerEntry.decodeGroups(Array(row["value_protected"] as Data))
            let features = try Self.measures(from: row["weighted_features"])
            let samples = LedgerEntry.decodeGroups(Array(row["weighted_samples"] as Data))
            return LedgerEntry(
                generation: row["generation"], job: row["job"],
                splits: LedgerEntry.decodeSplits(Array(row["splits"] as Data)),
                released: LedgerEntry.decodeSets(Array(row["released"] as Data)),
                protected: LedgerEntry.decodeSets(Array(row["protected"] as Data)), measures: measures,
                measured: LedgerEntry.decodeSets(Array(row["measured"] as Data)),
                valueProtected: Dictionary(
                    zip(measures ?? [], valueProtected).filter { !$0.1.isEmpty }, uniquingKeysWith: { a, _ in a }),
                weightedSamples: Dictionary(
                    zip(features, samples).filter { !$0.1.isEmpty }, uniquingKeysWith: { a, _ in a }),
                weighted: LedgerEntry.decodeWeighted(Array(row["weighted"] as Data)), atomsFile: row["atoms_file"])
        }
    }

    /// Measures as a JSON array: column names are the policy's, any text.
    static func measuresText(_ measures: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(measures), as: UTF8.self)
    }

    static func measures(from text: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
