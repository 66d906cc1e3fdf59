import Foundation
import GRDB

extension SQLiteStore {
    @discardableResult
    package func recordDatasetVersion(_ version: DatasetVersionRecord, by principal: String) throws -> [AuditEvent] {
        try write("dataset '\(version.id)' version \(version.version.prefix(16))") { db, now in
            try Self.recordDatasetVersion(db, version, by: principal, at: now)
        }
    }

    package func recordPolicyReload(_ version: DatasetVersionRecord, by principal: String, weakened: [String] = [])
        throws -> AuditEvent?
    {
        try write("policy \(version.policyHash.prefix(16)) of '\(version.id)'") { db, now in
            let known = try Bool.fetchOne(
                db, sql: "SELECT 1 FROM dataset_versions WHERE dataset = ? AND version = ? AND policy_hash = ?",
                arguments: [version.id, version.version, version.policyHash])
            guard known != true else { return nil }
            try db.execute(
                sql: "INSERT OR IGNORE INTO policy_versions (dataset, hash, text, loaded_at) VALUES (?, ?, ?, ?)",
                arguments: [version.id, version.policyHash, version.policyText, Timestamp.string(now)])
            try db.execute(
                sql: """
                    INSERT INTO dataset_versions
                        (dataset, version, row_count, policy_hash, ingested_at, source, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    version.id, version.version, version.rowCount, version.policyHash, version.ingestedAt,
                    version.source, Timestamp.string(now),
                ])
            return try Self.append(
                db, .policyLoaded, at: now, principal: principal, dataset: version.id, job: nil,
                detail: version.policyLoadedDetail(reloadWeakening: weakened))
        }
    }

    /// The policy texts a dataset has had, in the order they were loaded.
    package func policyHistory(of dataset: String) throws -> [(loadedAt: String, text: String)] {
        try read("the policies of '\(dataset)'") { db in
            try Row.fetchAll(
                db, sql: "SELECT loaded_at, text FROM policy_versions WHERE dataset = ? ORDER BY loaded_at, rowid",
                arguments: [dataset]
            ).map { ($0["loaded_at"], $0["text"]) }
        }
    }

    /// Inside a write transaction: records the version and its policy if new, with their events.
    static func recordDatasetVersion(
        _ db: Database, _ version: DatasetVersionRecord, by principal: String, at now: Date
    ) throws -> [AuditEvent] {
        let known = try Bool.fetchOne(
            db.cachedStatement(
                sql: "SELECT 1 FROM dataset_versions WHERE dataset = ? AND version = ? AND policy_hash = ?"),
            arguments: [version.id, version.version, version.policyHash])
        guard known != true else { return [] }
        var events: [AuditEvent] = []
        try db.cachedStatement(
            sql: """
                INSERT INTO datasets (id, title, owner, current_version) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET title = excluded.title, owner = excluded.owner,
                    current_version = excluded.current_version
                """
        ).execute(arguments: [version.id, version.title, version.owner, version.version])
        let policyKnown = try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM policy_versions WHERE dataset = ? AND hash = ?"),
            arguments: [version.id, version.policyHash])
        if policyKnown != true {
            try db.cachedStatement(
                sql: "INSERT INTO policy_versions (dataset, hash, text, loaded_at) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [version.id, version.policyHash, version.policyText, Timestamp.string(now)])
            events.append(
                try append(
                    db, .policyLoaded, at: now, principal: principal, dataset: version.id, job: nil,
                    detail: version.policyLoadedDetail()))
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO dataset_versions
                    (dataset, version, row_count, policy_hash, ingested_at, source, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            version.id, version.version, version.rowCount, version.policyHash, version.ingestedAt,
            version.source, Timestamp.string(now),
        ])
        events.append(
            try append(
                db, .datasetIngested, at: now, principal: principal, dataset: version.id, job: nil,
                detail: version.ingestedDetail))
        return events
    }
}
