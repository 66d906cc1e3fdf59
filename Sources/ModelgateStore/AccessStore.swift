import ModelgateCore

/// Who may do what: principals and their tokens, applications and the agreements they become,
/// and whether each dataset takes jobs. Every change is an audit event, in the same transaction.
public protocol AccessStore: Sendable {
    /// Adds a principal with the SHA-256 of its token (the token itself is never stored).
    func addPrincipal(_ principal: Principal, token: StoredToken, by actor: String) throws
    /// The principal a token id belongs to, with its stored token hash, for the caller to compare.
    func principal(tokenID: String) throws -> (Principal, StoredToken)?
    func principals() throws -> [Principal]
    func setPrincipal(_ name: String, disabled: Bool, by actor: String) throws
    func replaceToken(of name: String, with token: StoredToken, by actor: String) throws

    func submit(_ application: Application) throws
    /// Records one owner's decision on one dataset; when every dataset is approved, creates the
    /// agreement (returned with the application); one refusal refuses the application.
    func decide(application id: String, _ decision: Application.Decision, by actor: String) throws -> (
        Application, Agreement?
    )
    func application(_ id: String) throws -> Application?
    func applications(researcher: String?) throws -> [Application]

    func agreement(_ id: String) throws -> Agreement?
    func agreements(researcher: String?) throws -> [Agreement]
    /// Changes an agreement's status for an owner of `body`. Resuming is for the body that
    /// suspended it only (`suspended_by_another_body` otherwise).
    func setAgreement(_ id: String, status: Agreement.Status, reason: String, by actor: String, body: String?) throws
        -> Agreement

    /// A dataset's state and the reason it was last changed; `open` for one never changed.
    func datasetState(_ id: String) throws -> (DatasetState, String?)
    func setDatasetState(_ id: String, _ state: DatasetState, reason: String, by actor: String) throws

    /// Jobs admitted today (UTC) per dataset for a principal, as quotas count them.
    func quotaUsedToday(principal: String) throws -> [String: Int]

    /// A principal's jobs, newest first, as stored result documents.
    func jobs(principal: String?, limit: Int) throws -> [StoredJob]
    func job(_ id: String) throws -> StoredJob?
}

/// A token as stored: its public id (to find the principal) and the SHA-256 of the whole token.
public struct StoredToken: Sendable, Equatable {
    public var id: String
    public var hash: String
    public init(id: String, hash: String) {
        self.id = id
        self.hash = hash
    }
}

/// A recorded job and the document its researcher received.
public struct StoredJob: Sendable, Equatable {
    public var id: String
    public var principal: String
    public var dataset: String?
    public var status: String
    public var submittedAt: String
    /// The result document as returned (JSON); nil for a job still running.
    public var document: String?
}
