import Foundation
import ModelgateCore
import ModelgateStore
import PostgresNIO

extension PostgresStore {
    // MARK: Principals

    package func addPrincipal(_ principal: Principal, token: StoredToken, by actor: String) throws {
        try write("principal '\(principal.name)'") { transaction in
            let inserted = try transaction.connection.execute(
                """
                INSERT INTO principals (name, role, body, disabled, token_id, token_hash, created_at)
                VALUES (\(principal.name), \(principal.role.rawValue), \(principal.body), FALSE, \(token.id),
                    \(token.hash), \(Timestamp.string(try transaction.time)))
                ON CONFLICT (name) DO NOTHING
                """)
            guard inserted == 1 else {
                throw ModelgateError(.principalExists, "a principal named '\(principal.name)' already exists")
            }
            _ = try transaction.append(
                .principalAdded, principal: actor, dataset: nil, job: nil,
                detail: ["name": principal.name, "role": principal.role.rawValue, "body": principal.body ?? ""])
        }
    }

    package func principal(tokenID: String) throws -> (Principal, StoredToken)? {
        try read("a principal") { connection in
            try connection.rows(
                "SELECT name, role, body, disabled, token_id, token_hash FROM principals WHERE token_id = \(tokenID)"
            ).first.flatMap { row in
                guard let principal = try Self.principal(row) else { return nil }
                return (
                    principal,
                    StoredToken(
                        id: try row["token_id"].decode(String.self), hash: try row["token_hash"].decode(String.self))
                )
            }
        }
    }

    package func principals() throws -> [Principal] {
        try read("principals") { connection in
            try connection.rows("SELECT name, role, body, disabled FROM principals ORDER BY name").compactMap(
                Self.principal)
        }
    }

    static func principal(_ row: PostgresRandomAccessRow) throws -> Principal? {
        guard let role = Role(rawValue: try row["role"].decode(String.self)) else { return nil }
        return Principal(
            name: try row["name"].decode(String.self), role: role, body: try row["body"].decode(String?.self),
            disabled: try row["disabled"].decode(Bool.self))
    }

    package func setPrincipal(_ name: String, disabled: Bool, by actor: String) throws {
        try write("principal '\(name)'") { transaction in
            guard
                try transaction.connection.execute(
                    "UPDATE principals SET disabled = \(disabled) WHERE name = \(name)") == 1
            else { throw ModelgateError(.unknownPrincipal, "there is no principal named '\(name)'") }
            _ = try transaction.append(
                disabled ? .principalDisabled : .principalEnabled, principal: actor, dataset: nil, job: nil,
                detail: ["name": name])
        }
    }

    package func replaceToken(of name: String, with token: StoredToken, by actor: String) throws {
        try write("a new token for '\(name)'") { transaction in
            guard
                try transaction.connection.execute(
                    "UPDATE principals SET token_id = \(token.id), token_hash = \(token.hash) WHERE name = \(name)")
                    == 1
            else { throw ModelgateError(.unknownPrincipal, "there is no principal named '\(name)'") }
            _ = try transaction.append(.tokenRotated, principal: actor, dataset: nil, job: nil, detail: ["name": name])
        }
    }

    // MARK: Applications, agreements, doubts

    package func changeAccess<T>(_ what: String, by actor: String, _ change: (any AccessTransaction) throws -> T)
        throws -> T
    {
        try write(what) { transaction in
            try change(Transaction(transaction: transaction, actor: actor, now: Timestamp.string(try transaction.time)))
        }
    }

    package func application(_ id: String) throws -> Application? {
        try read("application \(id)") { try Self.document("applications", id, in: $0) }
    }

    package func applications(researcher: String?) throws -> [Application] {
        try read("applications") { try Self.documents("applications", researcher: researcher, in: $0) }
    }

    package func agreement(_ id: String) throws -> Agreement? {
        try read("agreement \(id)") { try Self.document("agreements", id, in: $0) }
    }

    package func agreements(researcher: String?) throws -> [Agreement] {
        try read("agreements") { try Self.documents("agreements", researcher: researcher, in: $0) }
    }

    package func doubt(_ id: String) throws -> DataDoubt? {
        try read("data doubt \(id)") { try Self.document("data_doubts", id, in: $0) }
    }

    package func doubts(researcher: String?) throws -> [DataDoubt] {
        try read("data doubts") { try Self.documents("data_doubts", researcher: researcher, in: $0) }
    }

    static func document<T: Decodable>(_ table: String, _ id: String, in connection: BlockingConnection) throws -> T? {
        try connection.rows("SELECT document FROM \(unescaped: table) WHERE id = \(id)").first.map {
            try StoredText.document(try $0["document"].decode(String.self), as: T.self)
        }
    }

    static func documents<T: Decodable>(_ table: String, researcher: String?, in connection: BlockingConnection)
        throws -> [T]
    {
        var query: PostgresQuery = "SELECT document FROM \(unescaped: table)"
        if let researcher { query = "SELECT document FROM \(unescaped: table) WHERE researcher = \(researcher)" }
        query.sql += " ORDER BY id"
        return try connection.rows(query).map {
            try StoredText.document(try $0["document"].decode(String.self), as: T.self)
        }
    }

    /// Saves a document with the columns it is looked up by.
    static func save(
        _ table: String, id: String, researcher: String, status: String, document: some Encodable,
        in connection: BlockingConnection
    ) throws {
        try connection.execute(
            """
            INSERT INTO \(unescaped: table) (id, researcher, status, document)
            VALUES (\(id), \(researcher), \(status), \(try StoredText.json(document)))
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, document = excluded.document
            """)
    }

    // MARK: Dataset states and job documents

    package func datasetState(_ id: String) throws -> (DatasetState, String?) {
        try read("the state of '\(id)'") { connection in
            guard let row = try connection.rows("SELECT state, state_reason FROM datasets WHERE id = \(id)").first
            else { return (.open, nil) }
            return (
                DatasetState(rawValue: try row["state"].decode(String.self)) ?? .suspended,
                try row["state_reason"].decode(String?.self)
            )
        }
    }

    package func quotaUsedToday(principal: String) throws -> [String: Int] {
        try read("quota use") { connection in
            let day = Timestamp.day(try now(connection))
            return Dictionary(
                uniqueKeysWithValues: try connection.rows(
                    "SELECT dataset, jobs FROM quota_usage WHERE principal = \(principal) AND day = \(day)"
                ).map { (try $0["dataset"].decode(String.self), try $0["jobs"].decode(Int.self)) })
        }
    }

    package func jobs(principal: String?, limit: Int) throws -> [StoredJob] {
        try read("jobs") { connection in
            var query: PostgresQuery = "SELECT \(unescaped: Self.storedJobColumns) FROM jobs"
            if let principal {
                query = "SELECT \(unescaped: Self.storedJobColumns) FROM jobs WHERE principal = \(principal)"
            }
            query.sql += " ORDER BY submitted_at DESC LIMIT \(max(0, limit))"
            return try connection.rows(query).map(Self.storedJob)
        }
    }

    package func jobs(datasets: [String], limit: Int) throws -> [StoredJob] {
        guard !datasets.isEmpty else { return [] }
        return try read("jobs") { connection in
            try connection.rows(
                """
                SELECT \(unescaped: Self.storedJobColumns) FROM jobs WHERE dataset = ANY(\(datasets))
                ORDER BY submitted_at DESC LIMIT \(max(0, limit))
                """
            ).map(Self.storedJob)
        }
    }

    package func job(_ id: String) throws -> StoredJob? {
        try read("job \(id)") { connection in
            try connection.rows("SELECT \(unescaped: Self.storedJobColumns) FROM jobs WHERE id = \(id)").first.map(
                Self.storedJob)
        }
    }

    static let storedJobColumns =
        "id, principal, dataset, model, status, submitted_at, document, receipt_index, receipt_hash"

    static func storedJob(_ row: PostgresRandomAccessRow) throws -> StoredJob {
        StoredJob(
            id: try row["id"].decode(String.self), principal: try row["principal"].decode(String.self),
            dataset: try row["dataset"].decode(String?.self), model: try row["model"].decode(String?.self),
            status: try row["status"].decode(String.self), submittedAt: try row["submitted_at"].decode(String.self),
            document: try row["document"].decode(String?.self),
            receipt: try row["receipt_index"].decode(Int?.self).map {
                Receipt(index: $0, hash: try row["receipt_hash"].decode(String.self))
            })
    }
}

extension PostgresStore {
    /// One transaction of the access procedure, over a write transaction.
    struct Transaction: AccessTransaction {
        let transaction: PostgresTransaction
        let actor: String
        let now: String

        var connection: BlockingConnection { transaction.connection }

        func application(_ id: String) throws -> Application? {
            try PostgresStore.document("applications", id, in: connection)
        }
        func agreement(_ id: String) throws -> Agreement? {
            try PostgresStore.document("agreements", id, in: connection)
        }
        func doubt(_ id: String) throws -> DataDoubt? { try PostgresStore.document("data_doubts", id, in: connection) }

        func datasetState(_ id: String) throws -> DatasetState? {
            try connection.rows("SELECT state FROM datasets WHERE id = \(id)").first.map {
                DatasetState(rawValue: try $0["state"].decode(String.self)) ?? .suspended
            }
        }

        func save(_ application: Application) throws {
            try PostgresStore.save(
                "applications", id: application.id, researcher: application.researcher,
                status: application.status.rawValue, document: application, in: connection)
        }

        func save(_ agreement: Agreement) throws {
            try PostgresStore.save(
                "agreements", id: agreement.id, researcher: agreement.researcher, status: agreement.status.rawValue,
                document: agreement, in: connection)
        }

        func save(_ doubt: DataDoubt) throws {
            var kept = doubt
            kept.overdue = nil  // computed as it is read, never stored
            try connection.execute(
                """
                INSERT INTO data_doubts (id, researcher, dataset, status, due_by, document)
                VALUES (\(kept.id), \(kept.researcher), \(kept.dataset), \(kept.status.rawValue), \(kept.dueBy),
                    \(try StoredText.json(kept)))
                ON CONFLICT (id) DO UPDATE SET status = excluded.status, document = excluded.document
                """)
        }

        func save(_ state: DatasetState, reason: String, of dataset: String) throws {
            try connection.execute(
                "UPDATE datasets SET state = \(state.rawValue), state_reason = \(reason) WHERE id = \(dataset)")
        }

        func privacyAccount(dataset: String) throws -> PrivacyAccount {
            try PostgresStore.privacyAccount(connection, dataset: dataset)
        }

        func save(_ allocation: PrivacyAllocation) throws {
            try connection.execute(
                """
                INSERT INTO privacy_allocations (dataset, agreement, epsilon)
                VALUES (\(allocation.dataset), \(allocation.agreement), \(allocation.epsilon.micros))
                ON CONFLICT (dataset, agreement) DO UPDATE SET epsilon = excluded.epsilon
                """)
        }

        func record(_ records: [AccessRecord]) throws {
            for record in records {
                _ = try transaction.append(
                    AuditEvent.Kind(rawValue: record.kind.rawValue), principal: actor, dataset: record.dataset,
                    job: nil, detail: record.detail)
            }
        }
    }
}
