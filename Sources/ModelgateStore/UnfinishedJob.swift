/// A job admitted and not finished.
package struct UnfinishedJob: Sendable, Equatable {
    /// The columns of `jobs` the stores read one from.
    package static let columns =
        "id, principal, dataset, runner, admitted_at, deadline, lease_expires IS NOT NULL AS leased"

    package var job: String
    package var principal: String
    package var dataset: String
    /// The process that admitted it, as ``JobAdmission/runner``.
    package var runner: String
    package var admittedAt: String
    /// When the job must have ended, whatever happened to its process: admitted, plus the
    /// policy's wall-clock limit, plus a minute.
    package var deadline: String
    /// Admitted with a lease: found lost when the lease expires (by the store's clock), never
    /// by a look at its process (``GatewayStore/interruptExpiredLeases(note:limit:)``).
    package var leased = false

    package init(
        job: String, principal: String, dataset: String, runner: String, admittedAt: String, deadline: String,
        leased: Bool = false
    ) {
        self.leased = leased
        self.job = job
        self.principal = principal
        self.dataset = dataset
        self.runner = runner
        self.admittedAt = admittedAt
        self.deadline = deadline
    }
}
