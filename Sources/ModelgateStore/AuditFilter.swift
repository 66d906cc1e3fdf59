/// Which audit events to read. Every field narrows; none set means the whole log.
package struct AuditFilter: Sendable, Equatable {
    /// Events at or after this time (a ``Timestamp`` string or a prefix of one, e.g. a day).
    package var since: String?
    /// Events before this time.
    package var until: String?
    package var dataset: String?
    package var principal: String?
    package var kind: AuditEvent.Kind?
    /// Events with an index above this one (for paging).
    package var after: Int?
    package var limit: Int?

    package init(
        since: String? = nil, until: String? = nil, dataset: String? = nil, principal: String? = nil,
        kind: AuditEvent.Kind? = nil, after: Int? = nil, limit: Int? = nil
    ) {
        self.since = since
        self.until = until
        self.dataset = dataset
        self.principal = principal
        self.kind = kind
        self.after = after
        self.limit = limit
    }
}
