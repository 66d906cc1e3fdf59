import Hummingbird
import ModelgateCore
import ModelgateGateway
import ModelgateStore

extension APIServer {
    /// For auditors: the events with filters and paging, the chain's verification, the usage
    /// report. An owner reads the usage report of its own datasets.
    func addAuditRoutes(to v1: RouterGroup<GatewayContext>) {
        v1.get("audit/events") { request, context in
            _ = try context.require(.readAudit)
            let query = request.uri.queryParameters
            func time(_ key: String) throws -> String? {
                guard let text = query.get(key) else { return nil }
                guard let date = Timestamp.parse(text) else {
                    throw APIError.badRequest("invalid_query", "'\(key)' is not a day (2026-01-01) or an ISO 8601 time")
                }
                return Timestamp.string(date)
            }
            let limit = min(max(query.get("limit", as: Int.self) ?? 100, 1), 1000)
            let filter = AuditFilter(
                since: try time("since"), until: try time("until"), dataset: query.get("dataset"),
                principal: query.get("principal"), kind: query.get("kind").map(AuditEvent.Kind.init(rawValue:)),
                after: query.get("after", as: Int.self), limit: limit)
            let store = store
            let events = try await blocking { () -> [AuditEvent] in
                var events: [AuditEvent] = []
                try store.forEachEvent(filter) { events.append($0) }
                return events
            }
            return try JSONBody.response(
                EventPage(events: events, next: events.count == limit ? events.last?.index : nil))
        }
        v1.get("audit/verify") { _, context in
            _ = try context.require(.readAudit)
            let store = store
            let verification = try await blocking { try store.verifyChain(progress: nil) }
            return try JSONBody.response(
                Verification(
                    intact: verification.failure == nil, count: verification.count, head: verification.headHash,
                    brokenAt: verification.failure?.index, problem: verification.failure?.problem))
        }
        v1.get("usage/report") { request, context in
            let principal = try context.require(.readUsage)
            let query = request.uri.queryParameters
            let (year, dataset) = (query.get("year", as: Int.self), query.get("dataset"))
            let workflow = workflow
            return try JSONBody.response(
                try await blocking { try workflow.usageReport(year: year, dataset: dataset, for: principal) })
        }
    }

    struct EventPage: Encodable {
        var events: [AuditEvent]
        /// Pass as `after` for the next page; absent on the last.
        var next: Int?
    }

    struct Verification: Encodable {
        var intact: Bool
        var count: Int
        var head: String
        var brokenAt: Int?
        var problem: String?
    }
}
