import ModelgateCore

/// Who may do what: principals and their tokens, applications and the agreements they become,
/// and whether each dataset takes jobs. Every change is an audit event, in the same transaction.
package protocol AccessStore: Sendable {
    /// Adds a principal with the SHA-256 of its token (the token itself is never stored).
    func addPrincipal(_ principal: Principal, token: StoredToken, by actor: String) throws
    /// The principal a token id belongs to, with its stored token hash, for the caller to compare.
    func principal(tokenID: String) throws -> (Principal, StoredToken)?
    func principals() throws -> [Principal]
    func setPrincipal(_ name: String, disabled: Bool, by actor: String) throws
    func replaceToken(of name: String, with token: StoredToken, by actor: String) throws

    /// Runs one step of the access procedure as one transaction: `change` reads the documents it
    /// needs through the transaction, applies the procedure's rule, writes what changed and records
    /// its events. Everything is kept only if `change` returns; an error it throws leaves nothing.
    /// The store holds no rule of the procedure: it only keeps this transaction.
    func changeAccess<T>(_ what: String, by actor: String, _ change: (any AccessTransaction) throws -> T) throws -> T

    func application(_ id: String) throws -> Application?
    func applications(researcher: String?) throws -> [Application]

    func agreement(_ id: String) throws -> Agreement?
    func agreements(researcher: String?) throws -> [Agreement]

    func doubt(_ id: String) throws -> DataDoubt?
    /// Data doubts, oldest first: one researcher's, or everyone's.
    func doubts(researcher: String?) throws -> [DataDoubt]

    /// A dataset's state and the reason it was last changed; `open` for one never changed.
    func datasetState(_ id: String) throws -> (DatasetState, String?)

    /// Jobs admitted today (UTC) per dataset for a principal, as quotas count them.
    func quotaUsedToday(principal: String) throws -> [String: Int]

    /// A principal's jobs, newest first, as stored result documents.
    func jobs(principal: String?, limit: Int) throws -> [StoredJob]
    func job(_ id: String) throws -> StoredJob?
}

/// The reads and writes of one transaction of the access procedure (``AccessStore/changeAccess(_:by:_:)``).
package protocol AccessTransaction {
    /// The transaction's time, as every record it appends shows it (``Timestamp``).
    var now: String { get }
    func application(_ id: String) throws -> Application?
    func agreement(_ id: String) throws -> Agreement?
    /// A dataset's state; nil for a dataset the catalog does not hold.
    func datasetState(_ id: String) throws -> DatasetState?
    func save(_ application: Application) throws
    func save(_ agreement: Agreement) throws
    func save(_ state: DatasetState, reason: String, of dataset: String) throws
    /// A dp dataset's spending and allocations, as the transaction sees them.
    func privacyAccount(dataset: String) throws -> PrivacyAccount
    func save(_ allocation: PrivacyAllocation) throws
    func doubt(_ id: String) throws -> DataDoubt?
    func save(_ doubt: DataDoubt) throws
    /// Appends the records to the audit log, in order, as the transaction's actor.
    func record(_ records: [AccessRecord]) throws
}

/// A token as stored: its public id (to find the principal) and the SHA-256 of the whole token.
package struct StoredToken: Sendable, Equatable {
    package var id: String
    package var hash: String
    package init(id: String, hash: String) {
        self.id = id
        self.hash = hash
    }
}

/// A recorded job and the document its researcher received.
package struct StoredJob: Sendable, Equatable {
    package var id: String
    package var principal: String
    package var dataset: String?
    package var model: String?
    package var status: String
    package var submittedAt: String
    /// The result document as returned (JSON) but its receipt; nil for a job still running.
    package var document: String?
    /// The event that recorded the job's end; nil for a job still running (or recorded before
    /// receipts were kept with jobs).
    package var receipt: Receipt?

    package init(
        id: String, principal: String, dataset: String?, model: String?, status: String, submittedAt: String,
        document: String?, receipt: Receipt?
    ) {
        self.id = id
        self.principal = principal
        self.dataset = dataset
        self.model = model
        self.status = status
        self.submittedAt = submittedAt
        self.document = document
        self.receipt = receipt
    }
}
