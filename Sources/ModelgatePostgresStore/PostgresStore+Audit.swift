import ModelgateCore
import ModelgateStore
import PostgresNIO

extension PostgresStore {
    /// Events are read this many at a time, by index, so that exporting or verifying a log of
    /// any length holds one page in memory.
    static let eventPage = 5_000

    static func event(_ row: PostgresRandomAccessRow) throws -> AuditEvent {
        AuditEvent(
            index: try row["idx"].decode(Int.self), at: try row["at"].decode(String.self),
            kind: AuditEvent.Kind(rawValue: try row["kind"].decode(String.self)),
            principal: try row["principal"].decode(String?.self), dataset: try row["dataset"].decode(String?.self),
            job: try row["job"].decode(String?.self), detail: try row["detail"].decode(String.self),
            previousHash: try row["previous_hash"].decode(String.self), storedHash: try row["hash"].decode(String.self))
    }

    package func event(at index: Int) throws -> AuditEvent? {
        try read("audit event \(index)") { connection in
            try connection.rows(
                """
                SELECT idx, at, kind, principal, dataset, job, detail, previous_hash, hash
                FROM audit_events WHERE idx = \(index)
                """
            ).first.map(Self.event)
        }
    }

    package func forEachEvent(_ filter: AuditFilter, _ body: (AuditEvent) throws -> Void) throws {
        var remaining = filter.limit.map { max(0, $0) }
        var after = filter.after ?? 0
        while remaining != 0 {
            let page = min(remaining ?? Self.eventPage, Self.eventPage)
            var query: PostgresQuery =
                "SELECT idx, at, kind, principal, dataset, job, detail, previous_hash, hash FROM audit_events WHERE idx > \(after)"
            func add(_ clause: String, _ value: String?) {
                guard let value else { return }
                query.sql += " AND \(clause) $\(query.binds.count + 1)"
                query.binds.append(value)
            }
            add("at >=", filter.since)
            add("at <", filter.until)
            add("dataset =", filter.dataset)
            add("principal =", filter.principal)
            add("kind =", filter.kind?.rawValue)
            query.sql += " ORDER BY idx LIMIT \(page)"
            let events = try read("audit events") { connection in try connection.rows(query).map(Self.event) }
            for event in events { try body(event) }
            guard events.count == page, let last = events.last else { return }
            after = last.index
            remaining = remaining.map { $0 - events.count }
        }
    }

    /// Verifies the chain as the SQLite store does, and against the head row: read first, it
    /// names an event the chain must reach with that hash (newest events deleted with the
    /// triggers dropped leave a chain that verifies, and a head row that says more).
    package func verifyChain(progress: ((Int) -> Void)?) throws -> ChainVerification {
        let head = try read("the audit chain's head") { connection in
            try connection.rows("SELECT idx, hash FROM audit_head").first.map {
                (index: try $0["idx"].decode(Int.self), hash: try $0["hash"].decode(String.self))
            }
        }
        var verifier = ChainVerifier()
        var after = 0
        var headReached = head == nil || head?.index == 0
        while true {
            let events = try read("the audit chain") { connection in
                try connection.rows(
                    """
                    SELECT idx, at, kind, principal, dataset, job, detail, previous_hash, hash FROM audit_events
                    WHERE idx > \(after) ORDER BY idx LIMIT \(Self.eventPage)
                    """
                ).map(Self.event)
            }
            for event in events {
                if let failure = verifier.check(event) {
                    return ChainVerification(count: verifier.count, headHash: verifier.headHash, failure: failure)
                }
                if event.index == head?.index { headReached = event.hash == head?.hash }
                if verifier.count % 10_000 == 0 { progress?(verifier.count) }
            }
            guard events.count == Self.eventPage, let last = events.last else { break }
            after = last.index
        }
        if !headReached, let head {
            return ChainVerification(
                count: verifier.count, headHash: verifier.headHash,
                failure: ChainBreak(
                    index: min(head.index, verifier.count + 1),
                    problem:
                        "the chain's head row names event \(head.index) (\(head.hash.prefix(16))…), which the chain does not reach with that hash: its newest events were deleted, or the head row was changed"
                ))
        }
        return ChainVerification(count: verifier.count, headHash: verifier.headHash, failure: nil)
    }
}
