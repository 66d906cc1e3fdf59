import Foundation
import GRDB
import ModelgateCore

extension AuditEvent.Kind {
    package static let principalAdded: Self = "principal_added"
    package static let principalDisabled: Self = "principal_disabled"
    package static let principalEnabled: Self = "principal_enabled"
    package static let tokenRotated: Self = "token_rotated"
}

extension SQLiteStore {
    // MARK: Principals

    package func addPrincipal(_ principal: Principal, token: StoredToken, by actor: String) throws {
        try write("principal '\(principal.name)'") { db, now in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM principals WHERE name = ?", arguments: [principal.name])
                == true
            {
                throw ModelgateError(.principalExists, "a principal named '\(principal.name)' already exists")
            }
            try db.execute(
                sql: """
                    INSERT INTO principals (name, role, body, disabled, token_id, token_hash, created_at)
                    VALUES (?, ?, ?, 0, ?, ?, ?)
                    """,
                arguments: [
                    principal.name, principal.role.rawValue, principal.body, token.id, token.hash,
                    Timestamp.string(now),
                ])
            _ = try Self.append(
                db, .principalAdded, at: now, principal: actor, dataset: nil, job: nil,
                detail: ["name": principal.name, "role": principal.role.rawValue, "body": principal.body ?? ""])
        }
    }

    package func principal(tokenID: String) throws -> (Principal, StoredToken)? {
        try read("a principal") { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT name, role, body, disabled, token_id, token_hash FROM principals WHERE token_id = ?"),
                arguments: [tokenID]
            ).flatMap { row in
                guard let role = Role(rawValue: row["role"]) else { return nil }
                return (
                    Principal(name: row["name"], role: role, body: row["body"], disabled: row["disabled"]),
                    StoredToken(id: row["token_id"], hash: row["token_hash"])
                )
            }
        }
    }

    package func principals() throws -> [Principal] {
        try read("principals") { db in
            try Row.fetchAll(db, sql: "SELECT name, role, body, disabled FROM principals ORDER BY name").compactMap {
                guard let role = Role(rawValue: $0["role"]) else { return nil }
                return Principal(name: $0["name"], role: role, body: $0["body"], disabled: $0["disabled"])
            }
        }
    }

    package func setPrincipal(_ name: String, disabled: Bool, by actor: String) throws {
        try write("principal '\(name)'") { db, now in
            try db.execute(sql: "UPDATE principals SET disabled = ? WHERE name = ?", arguments: [disabled, name])
            guard db.changesCount == 1 else { throw Self.unknownPrincipal(name) }
            _ = try Self.append(
                db, disabled ? .principalDisabled : .principalEnabled, at: now, principal: actor, dataset: nil,
                job: nil, detail: ["name": name])
        }
    }

    package func replaceToken(of name: String, with token: StoredToken, by actor: String) throws {
        try write("a new token for '\(name)'") { db, now in
            try db.execute(
                sql: "UPDATE principals SET token_id = ?, token_hash = ? WHERE name = ?",
                arguments: [token.id, token.hash, name])
            guard db.changesCount == 1 else { throw Self.unknownPrincipal(name) }
            _ = try Self.append(
                db, .tokenRotated, at: now, principal: actor, dataset: nil, job: nil, detail: ["name": name])
        }
    }

    static func unknownPrincipal(_ name: String) -> ModelgateError {
        ModelgateError(.unknownPrincipal, "there is no principal named '\(name)'")
    }

    // MARK: Applications and agreements

    package func changeAccess<T>(_ what: String, by actor: String, _ change: (any AccessTransaction) throws -> T)
        throws -> T
    {
        try write(what) { db, now in try change(Transaction(db: db, time: now, actor: actor)) }
    }

    package func application(_ id: String) throws -> Application? {
        try read("application \(id)") { try Self.loadApplication(id, in: $0) }
    }

    package func applications(researcher: String?) throws -> [Application] {
        try read("applications") { db in
            try Self.documents(
                db, table: "applications", researcher: researcher, as: Application.self)
        }
    }

    package func doubt(_ id: String) throws -> DataDoubt? {
        try read("data doubt \(id)") { try Self.loadDoubt(id, in: $0) }
    }

    package func doubts(researcher: String?) throws -> [DataDoubt] {
        try read("data doubts") { db in
            try Self.documents(db, table: "data_doubts", researcher: researcher, as: DataDoubt.self)
        }
    }

    package func agreement(_ id: String) throws -> Agreement? {
        try read("agreement \(id)") { try Self.loadAgreement(id, in: $0) }
    }

    package func agreements(researcher: String?) throws -> [Agreement] {
        try read("agreements") { db in
            try Self.documents(db, table: "agreements", researcher: researcher, as: Agreement.self)
        }
    }

    // MARK: Dataset states

    package func datasetState(_ id: String) throws -> (DatasetState, String?) {
        try read("the state of '\(id)'") { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT state, state_reason FROM datasets WHERE id = ?"), arguments: [id])
            else { return (.open, nil) }
            return (DatasetState(rawValue: row["state"]) ?? .suspended, row["state_reason"])
        }
    }

    // MARK: Job documents

    package func quotaUsedToday(principal: String) throws -> [String: Int] {
        let day = Timestamp.day(clock())
        return try read("quota use") { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(
                    db, sql: "SELECT dataset, jobs FROM quota_usage WHERE principal = ? AND day = ?",
                    arguments: [principal, day]
                ).map { ($0["dataset"], $0["jobs"]) })
        }
    }

    package func jobs(principal: String?, limit: Int) throws -> [StoredJob] {
        try read("jobs") { db in
            let filter = principal == nil ? "" : "WHERE principal = ?"
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.storedJobColumns) FROM jobs \(filter)
                    ORDER BY submitted_at DESC LIMIT ?
                    """, arguments: StatementArguments((principal.map { [$0] } ?? []) + [max(0, limit)])
            ).map(Self.storedJob)
        }
    }

    /// The newest jobs on any of `datasets`, everyone's (an owner's view of its datasets' use).
    package func jobs(datasets: [String], limit: Int) throws -> [StoredJob] {
        guard !datasets.isEmpty else { return [] }
        return try read("jobs") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.storedJobColumns) FROM jobs WHERE dataset IN (\(Array(repeating: "?", count: datasets.count).joined(separator: ",")))
                    ORDER BY submitted_at DESC LIMIT ?
                    """, arguments: StatementArguments(datasets + [String(max(0, limit))])
            ).map(Self.storedJob)
        }
    }

    package func job(_ id: String) throws -> StoredJob? {
        try read("job \(id)") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.storedJobColumns) FROM jobs WHERE id = ?
                    """,
                arguments: [id]
            ).map(Self.storedJob)
        }
    }

    /// The columns ``storedJob(_:)`` reads.
    static let storedJobColumns =
        "id, principal, dataset, model, status, submitted_at, document, receipt_index, receipt_hash"

    static func storedJob(_ row: Row) -> StoredJob {
        StoredJob(
            id: row["id"], principal: row["principal"], dataset: row["dataset"], model: row["model"],
            status: row["status"],
            submittedAt: row["submitted_at"], document: row["document"],
            receipt: (row["receipt_index"] as Int?).map { Receipt(index: $0, hash: row["receipt_hash"]) })
    }

    // MARK: Documents

    static func save(_ application: Application, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO applications (id, researcher, status, document) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET status = excluded.status, document = excluded.document
                """,
            arguments: [application.id, application.researcher, application.status.rawValue, try json(application)])
    }

    static func save(_ agreement: Agreement, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO agreements (id, researcher, status, document) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET status = excluded.status, document = excluded.document
                """, arguments: [agreement.id, agreement.researcher, agreement.status.rawValue, try json(agreement)])
    }

    static func loadApplication(_ id: String, in db: Database) throws -> Application? {
        try String.fetchOne(db, sql: "SELECT document FROM applications WHERE id = ?", arguments: [id]).map {
            try JSONDecoder().decode(Application.self, from: Data($0.utf8))
        }
    }

    static func loadDoubt(_ id: String, in db: Database) throws -> DataDoubt? {
        try String.fetchOne(db, sql: "SELECT document FROM data_doubts WHERE id = ?", arguments: [id]).map {
            try JSONDecoder().decode(DataDoubt.self, from: Data($0.utf8))
        }
    }

    static func loadAgreement(_ id: String, in db: Database) throws -> Agreement? {
        try String.fetchOne(db, sql: "SELECT document FROM agreements WHERE id = ?", arguments: [id]).map {
            try JSONDecoder().decode(Agreement.self, from: Data($0.utf8))
        }
    }

    static func documents<T: Decodable>(_ db: Database, table: String, researcher: String?, as type: T.Type) throws
        -> [T]
    {
        let filter = researcher == nil ? "" : "WHERE researcher = ?"
        return try String.fetchAll(
            db, sql: "SELECT document FROM \(table) \(filter) ORDER BY id",
            arguments: StatementArguments(researcher.map { [$0] } ?? [])
        ).map { try JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    static func json(_ value: some Encodable) throws -> String {
        try StoredText.json(value)
    }
}

extension SQLiteStore {
    /// One transaction of the access procedure, over the write transaction's database.
    struct Transaction: AccessTransaction {
        let db: Database
        let time: Date
        let actor: String

        var now: String { Timestamp.string(time) }

        func application(_ id: String) throws -> Application? { try SQLiteStore.loadApplication(id, in: db) }
        func agreement(_ id: String) throws -> Agreement? { try SQLiteStore.loadAgreement(id, in: db) }

        func datasetState(_ id: String) throws -> DatasetState? {
            try String.fetchOne(db, sql: "SELECT state FROM datasets WHERE id = ?", arguments: [id]).map {
                DatasetState(rawValue: $0) ?? .suspended
            }
        }

        func save(_ application: Application) throws { try SQLiteStore.save(application, in: db) }
        func save(_ agreement: Agreement) throws { try SQLiteStore.save(agreement, in: db) }

        func save(_ state: DatasetState, reason: String, of dataset: String) throws {
            try db.execute(
                sql: "UPDATE datasets SET state = ?, state_reason = ? WHERE id = ?",
                arguments: [state.rawValue, reason, dataset])
        }

        func doubt(_ id: String) throws -> DataDoubt? { try SQLiteStore.loadDoubt(id, in: db) }

        func save(_ doubt: DataDoubt) throws {
            var kept = doubt
            kept.overdue = nil  // computed as it is read, never stored
            try db.execute(
                sql: """
                    INSERT INTO data_doubts (id, researcher, dataset, status, due_by, document) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET status = excluded.status, document = excluded.document
                    """,
                arguments: [
                    kept.id, kept.researcher, kept.dataset, kept.status.rawValue, kept.dueBy,
                    try SQLiteStore.json(kept),
                ])
        }

        func privacyAccount(dataset: String) throws -> PrivacyAccount {
            try SQLiteStore.privacyAccount(db, dataset: dataset)
        }

        func save(_ allocation: PrivacyAllocation) throws {
            try db.execute(
                sql: """
                    INSERT INTO privacy_allocations (dataset, agreement, epsilon) VALUES (?, ?, ?)
                    ON CONFLICT (dataset, agreement) DO UPDATE SET epsilon = excluded.epsilon
                    """, arguments: [allocation.dataset, allocation.agreement, allocation.epsilon.micros])
        }

        func record(_ records: [AccessRecord]) throws {
            for record in records {
                _ = try SQLiteStore.append(
                    db, AuditEvent.Kind(rawValue: record.kind.rawValue), at: time, principal: actor,
                    dataset: record.dataset, job: nil, detail: record.detail)
            }
        }
    }
}
