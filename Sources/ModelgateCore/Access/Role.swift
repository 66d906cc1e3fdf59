/// What a principal may do. One role each.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Applies for access, submits jobs, reads their own results.
    case researcher
    /// A data owner: decides applications for, and suspends, the datasets of its body.
    case owner
    /// Reads everything, changes nothing.
    case auditor
    /// Operates the gateway (policies, principals); sees no results.
    case admin
}

/// Someone the gateway knows by a bearer token.
public struct Principal: Sendable, Equatable, Codable {
    public var name: String
    public var role: Role
    /// The public body an owner answers for (a dataset's `owner`); nil for other roles.
    public var body: String?
    public var disabled: Bool

    public init(name: String, role: Role, body: String? = nil, disabled: Bool = false) {
        self.name = name
        self.role = role
        self.body = body
        self.disabled = disabled
    }
}
