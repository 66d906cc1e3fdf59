/// What a principal may do. One role each.
package enum Role: String, Sendable, Codable, CaseIterable {
    /// Applies for access, submits jobs, reads their own results.
    case researcher
    /// A data owner: decides applications for, and suspends, the datasets of its body.
    case owner
    /// Reads everything, changes nothing.
    case auditor
    /// Operates the gateway (policies, principals); sees no results.
    case admin

    /// Whether this role may take `action` at all. An owner's actions are further limited to the
    /// datasets of its body, a researcher's reads to its own applications, agreements and jobs:
    /// the procedure checks those (``Principal/answers(for:)``, ``Principal/mayRead(researcher:datasets:owners:)``).
    package func may(_ action: AccessAction) -> Bool {
        switch action {
        case .readCatalog: true
        case .runJob: self == .researcher || self == .owner
        case .readJobs, .readApplications, .readAgreements, .readDoubts:
            self == .researcher || self == .owner || self == .auditor
        case .apply, .fileDoubt: self == .researcher
        case .decideApplication, .changeAgreement, .changeDataset, .answerDoubt: self == .owner
        case .readAudit: self == .auditor
        case .readUsage: self == .auditor || self == .owner
        case .reloadPolicies: self == .admin
        }
    }
}

/// Everything a principal can ask the gateway to do, for the one table of who may
/// (``Role/may(_:)``).
package enum AccessAction: String, Sendable, CaseIterable {
    /// The catalog and one's own profile (`/v1/me`).
    case readCatalog = "read the catalog"
    /// A job: a researcher's within an agreement, an owner's dry run on its own datasets.
    case runJob = "run a job"
    case readJobs = "read jobs"
    case apply = "apply for access"
    case readApplications = "read applications"
    case decideApplication = "decide an application"
    case readAgreements = "read agreements"
    case changeAgreement = "suspend, resume or terminate an agreement"
    case changeDataset = "suspend, resume or withdraw a dataset"
    case readAudit = "read the audit log"
    case readUsage = "read a usage report"
    case reloadPolicies = "reload the policies"
    /// Art. 22 of the measures: a researcher doubts a dataset's correctness; its owner answers.
    case fileDoubt = "file a data doubt"
    case answerDoubt = "answer a data doubt"
    case readDoubts = "read data doubts"
}

/// Someone the gateway knows by a bearer token.
package struct Principal: Sendable, Equatable, Codable {
    package var name: String
    package var role: Role
    /// The public body an owner answers for (a dataset's `owner`); nil for other roles.
    package var body: String?
    package var disabled: Bool

    package init(name: String, role: Role, body: String? = nil, disabled: Bool = false) {
        self.name = name
        self.role = role
        self.body = body
        self.disabled = disabled
    }

    /// A new principal, checked: a name of letters, digits and `- _ . @`; an owner answers for a
    /// body (a dataset's `owner`), no other role does.
    package init(checking name: String, role: Role, body: String?) throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
            throw ModelgateError(.invalidPrincipal, "a name may hold letters, digits and - _ . @ only")
        }
        if role == .owner && (body ?? "").isEmpty {
            throw ModelgateError(.invalidPrincipal, "an owner needs the body it answers for")
        }
        if role != .owner && body != nil {
            throw ModelgateError(.invalidPrincipal, "only an owner answers for a body")
        }
        self.init(name: name, role: role, body: body)
    }

    /// Throws `forbidden` unless this principal's role may take `action`.
    package func require(_ action: AccessAction) throws {
        guard role.may(action) else {
            let roles = Role.allCases.filter { $0.may(action) }.map(\.rawValue).joined(separator: " or ")
            throw ModelgateError(
                .forbidden,
                "\(withIndefiniteArticle(role.rawValue)) may not \(action.rawValue); that needs the role \(roles)")
        }
    }

    /// Whether this is an owner answering for `body` (the `owner` of a dataset's policy).
    package func answers(for body: String?) -> Bool {
        role == .owner && body != nil && self.body == body
    }

    /// Throws `forbidden` unless this is an owner answering for `dataset`, whose body is `owner`.
    package func requireOwner(of dataset: String, owner: String) throws {
        guard answers(for: owner) else {
            throw ModelgateError(.forbidden, "only an owner of '\(owner)' may do this for dataset '\(dataset)'")
        }
    }

    /// Whether this principal may read an application or agreement of `researcher` over
    /// `datasets`: a researcher its own, an owner one naming a dataset of its body, an auditor
    /// any, an admin none. `owners` holds each known dataset's owning body.
    package func mayRead(researcher: String, datasets: [String], owners: [String: String]) -> Bool {
        switch role {
        case .researcher: researcher == name
        case .owner: datasets.contains { answers(for: owners[$0]) }
        case .auditor: true
        case .admin: false
        }
    }
}
