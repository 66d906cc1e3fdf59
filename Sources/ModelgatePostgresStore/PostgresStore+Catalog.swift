import ModelgateCore
import ModelgateStore
import PostgresNIO

extension PostgresStore {
    @discardableResult
    package func recordDatasetVersion(_ version: DatasetVersionRecord, by principal: String) throws -> [AuditEvent] {
        try write("dataset '\(version.id)' version \(version.version.prefix(16))") { transaction in
            try Self.recordDatasetVersion(transaction, version, by: principal)
        }
    }

    package func recordPolicyReload(_ version: DatasetVersionRecord, by principal: String, weakened: [String] = [])
        throws -> AuditEvent?
    {
        try write("policy \(version.policyHash.prefix(16)) of '\(version.id)'") { transaction in
            let connection = transaction.connection
            guard try !Self.knows(version, connection) else { return nil }
            try connection.execute(
                """
                INSERT INTO policy_versions (dataset, hash, text, loaded_at)
                VALUES (\(version.id), \(version.policyHash), \(version.policyText), \(Timestamp.string(try transaction.time)))
                ON CONFLICT DO NOTHING
                """)
            try Self.insertVersion(version, transaction)
            return try transaction.append(
                .policyLoaded, principal: principal, dataset: version.id, job: nil,
                detail: version.policyLoadedDetail(reloadWeakening: weakened))
        }
    }

    package func policyHistory(of dataset: String) throws -> [(loadedAt: String, text: String)] {
        try read("the policies of '\(dataset)'") { connection in
            try connection.rows(
                "SELECT loaded_at, text FROM policy_versions WHERE dataset = \(dataset) ORDER BY loaded_at, seq"
            ).map { (try $0["loaded_at"].decode(String.self), try $0["text"].decode(String.self)) }
        }
    }

    /// Inside a write transaction: records the version and its policy if new, with their events.
    static func recordDatasetVersion(
        _ transaction: PostgresTransaction, _ version: DatasetVersionRecord, by principal: String
    ) throws -> [AuditEvent] {
        let connection = transaction.connection
        guard try !knows(version, connection) else { return [] }
        var events: [AuditEvent] = []
        try connection.execute(
            """
            INSERT INTO datasets (id, title, owner, current_version)
            VALUES (\(version.id), \(version.title), \(version.owner), \(version.version))
            ON CONFLICT (id) DO UPDATE SET title = excluded.title, owner = excluded.owner,
                current_version = excluded.current_version
            """)
        let inserted = try connection.execute(
            """
            INSERT INTO policy_versions (dataset, hash, text, loaded_at)
            VALUES (\(version.id), \(version.policyHash), \(version.policyText), \(Timestamp.string(try transaction.time)))
            ON CONFLICT DO NOTHING
            """)
        if inserted == 1 {
            events.append(
                try transaction.append(
                    .policyLoaded, principal: principal, dataset: version.id, job: nil,
                    detail: version.policyLoadedDetail()))
        }
        try insertVersion(version, transaction)
        events.append(
            try transaction.append(
                .datasetIngested, principal: principal, dataset: version.id, job: nil, detail: version.ingestedDetail))
        return events
    }

    static func knows(_ version: DatasetVersionRecord, _ connection: BlockingConnection) throws -> Bool {
        try !connection.rows(
            """
            SELECT 1 FROM dataset_versions
            WHERE dataset = \(version.id) AND version = \(version.version) AND policy_hash = \(version.policyHash)
            """
        ).isEmpty
    }

    static func insertVersion(_ version: DatasetVersionRecord, _ transaction: PostgresTransaction) throws {
        try transaction.connection.execute(
            """
            INSERT INTO dataset_versions (dataset, version, row_count, policy_hash, ingested_at, source, recorded_at)
            VALUES (\(version.id), \(version.version), \(version.rowCount), \(version.policyHash),
                \(version.ingestedAt), \(version.source), \(Timestamp.string(try transaction.time)))
            """)
    }
}
