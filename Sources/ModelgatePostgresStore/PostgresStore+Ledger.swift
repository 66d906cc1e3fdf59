import Foundation
import ModelgateCore
import ModelgateStore
import PostgresNIO

extension PostgresStore {
    package func finish(
        _ job: String, ledger key: LedgerKey, after known: Int, _ decide: ([LedgerEntry]) throws -> LedgerDecision
    ) throws -> Receipt {
        try write("the end of job \(job) and its release ledger entry", ordered: false) { transaction in
            let connection = transaction.connection
            // The dataset version's ledger lock, held to the end of the transaction: no other
            // job, on any gateway, can check against this ledger or add to it meanwhile. The
            // chain's head is locked only after the decision, for the writing.
            try connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(\(key.dataset + "\u{1}" + key.version), 0))")
            let decision = try decide(try Self.ledgerEntries(connection, key, after: known))
            try transaction.lockHead()
            if let entry = decision.entry {
                let stored = try StoredLedgerEntry(entry)
                try connection.execute(
                    """
                    INSERT INTO ledger_entries (dataset, version, \(unescaped: StoredLedgerEntry.columns))
                    VALUES (\(key.dataset), \(key.version), \(stored.generation), \(stored.job), \(stored.splits),
                        \(stored.released), \(stored.protected), \(stored.measures), \(stored.measured),
                        \(stored.valueProtected), \(stored.weightedFeatures), \(stored.weightedSamples),
                        \(stored.weighted), \(stored.atomsFile))
                    """)
            }
            return try Self.recordEnd(transaction, decision.completion)
        }
    }

    package func ledgerEntries(_ key: LedgerKey, after known: Int) throws -> [LedgerEntry] {
        try read("the release ledger of \(key.dataset)") { try Self.ledgerEntries($0, key, after: known) }
    }

    static func ledgerEntries(_ connection: BlockingConnection, _ key: LedgerKey, after known: Int) throws
        -> [LedgerEntry]
    {
        try connection.rows(
            """
            SELECT \(unescaped: StoredLedgerEntry.columns) FROM ledger_entries
            WHERE dataset = \(key.dataset) AND version = \(key.version) AND generation > \(known) ORDER BY generation
            """
        ).map { row in
            try StoredLedgerEntry(
                generation: row["generation"].decode(Int.self), job: row["job"].decode(String.self),
                splits: row["splits"].decode(Data.self), released: row["released"].decode(Data.self),
                protected: row["protected"].decode(Data.self), measures: row["measures"].decode(String?.self),
                measured: row["measured"].decode(Data.self), valueProtected: row["value_protected"].decode(Data.self),
                weightedFeatures: row["weighted_features"].decode(String.self),
                weightedSamples: row["weighted_samples"].decode(Data.self), weighted: row["weighted"].decode(Data.self),
                atomsFile: row["atoms_file"].decode(String?.self)
            ).entry()
        }
    }
}
