/// Which audit events to read. Every field narrows; none set means the whole log.
public struct AuditFilter: Sendable, Equatable {
    /// Events at or after this time (a ``Timestamp`` string or a prefix of one, e.g. a day).
    public var since: String?
    /// Events before this time.
    public var until: String?
    public var dataset: String?
    public var principal: String?
    public var kind: AuditEvent.Kind?
    /// Events with an index above this one (for paging).
    public var after: Int?
    public var limit: Int?

    public init(
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
