import Foundation
import GRDB
import ModelgateCore

extension SQLiteStore {
    static let eventColumns = "idx, at, kind, principal, dataset, job, detail, previous_hash, hash"

    /// Appends one event after the current head. Call inside a write transaction only: the
    /// transaction's lock is what keeps two writers from linking to the same head.
    static func append(
        _ db: Database, _ kind: AuditEvent.Kind, at: Date, principal: String?, dataset: String?, job: String?,
        detail: some Encodable
    ) throws -> AuditEvent {
        try AuditEvent.checkFields(principal, dataset, job)
        let head = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT idx, hash FROM audit_events ORDER BY idx DESC LIMIT 1"))
        let event = AuditEvent(
            index: (head?[0] as Int? ?? 0) + 1, at: Timestamp.string(at), kind: kind, principal: principal,
            dataset: dataset, job: job, detail: try StoredText.json(detail),
            previousHash: head?[1] as String? ?? AuditEvent.genesisHash)
        try db.cachedStatement(sql: "INSERT INTO audit_events (\(eventColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [
                event.index, event.at, event.kind.rawValue, event.principal, event.dataset, event.job, event.detail,
                event.previousHash, event.hash,
            ])
        return event
    }

    /// An event as stored. Text is read as its bytes, so that nothing hidden after a NUL or in
    /// invalid UTF-8 escapes the hash check, and a damaged row is a broken event, not a crash.
    static func event(_ row: Row) -> AuditEvent {
        func text(_ column: String) -> String? {
            (row[column] as Data?).map { String(decoding: $0, as: UTF8.self) }
        }
        return AuditEvent(
            index: row["idx"], at: text("at") ?? "", kind: AuditEvent.Kind(rawValue: text("kind") ?? ""),
            principal: text("principal"), dataset: text("dataset"), job: text("job"), detail: text("detail") ?? "",
            previousHash: text("previous_hash") ?? "", storedHash: text("hash") ?? "")
    }

    package func event(at index: Int) throws -> AuditEvent? {
        try read("audit event \(index)") { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(Self.eventColumns) FROM audit_events WHERE idx = ?"),
                arguments: [index]
            )
            .map(Self.event)
        }
    }

    package func forEachEvent(_ filter: AuditFilter, _ body: (AuditEvent) throws -> Void) throws {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        func add(_ clause: String, _ value: (any DatabaseValueConvertible)?) {
            guard let value else { return }
            clauses.append(clause)
            arguments += [value]
        }
        add("at >= ?", filter.since)
        add("at < ?", filter.until)
        add("dataset = ?", filter.dataset)
        add("principal = ?", filter.principal)
        add("kind = ?", filter.kind?.rawValue)
        add("idx > ?", filter.after)
        var sql = "SELECT \(Self.eventColumns) FROM audit_events"
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        sql += " ORDER BY idx"
        if let limit = filter.limit { sql += " LIMIT \(max(0, limit))" }
        try read("audit events") { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() { try body(Self.event(row)) }
        }
    }

    package func verifyChain(progress: ((Int) -> Void)?) throws -> ChainVerification {
        try read("the audit chain") { db in
            var verifier = ChainVerifier()
            let rows = try Row.fetchCursor(db, sql: "SELECT \(Self.eventColumns) FROM audit_events ORDER BY idx")
            while let row = try rows.next() {
                if let failure = verifier.check(Self.event(row)) {
                    return ChainVerification(count: verifier.count, headHash: verifier.headHash, failure: failure)
                }
                if verifier.count % 10_000 == 0 { progress?(verifier.count) }
            }
            return ChainVerification(count: verifier.count, headHash: verifier.headHash, failure: nil)
        }
    }
}
