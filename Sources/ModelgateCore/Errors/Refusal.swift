/// A decision not to run, or not to release, a job: a first-class result with its reason.
///
/// Admission and output checking produce refusals; they are returned to the researcher as
/// `status: "refused"` with `reason.code` and `reason.message`, never hidden as a crash.
package struct Refusal: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    /// A stable machine-readable reason, e.g. `column_not_allowed`.
    package var code: Code
    /// What happened and what the researcher can change.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }

    /// Refusal codes are an open set: new rules add codes without breaking clients.
    package struct Code: OpenCode {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
    }
}

extension Refusal.Code {
    package static let invalidSpec: Self = "invalid_spec"
    package static let specTooLarge: Self = "spec_too_large"
    package static let unknownDataset: Self = "unknown_dataset"
    package static let unknownModel: Self = "unknown_model"
    package static let datasetClosed: Self = "dataset_closed"
    package static let modelNotAllowed: Self = "model_not_allowed"
    package static let unknownColumn: Self = "unknown_column"
    package static let columnNotAllowed: Self = "column_not_allowed"
    package static let wrongColumnType: Self = "wrong_column_type"
    package static let invalidFilter: Self = "invalid_filter"
    package static let tooManyDimensions: Self = "too_many_dimensions"
    package static let tooManyFeatures: Self = "too_many_features"
    package static let tooManyCells: Self = "too_many_cells"
    package static let tooManySuppressedCells: Self = "too_many_suppressed_cells"
    package static let binsNeedBounds: Self = "bins_need_bounds"
    package static let groupNeedsBounds: Self = "group_needs_bounds"
    package static let belowThreshold: Self = "below_threshold"
    package static let dominance: Self = "dominance"
    package static let groupDisclosure: Self = "group_disclosure"
    package static let smallComplement: Self = "small_complement"
    package static let insufficientDegreesOfFreedom: Self = "insufficient_degrees_of_freedom"
    package static let tooManyParameters: Self = "too_many_parameters"
    package static let highLeverage: Self = "high_leverage"
    package static let degenerateFit: Self = "degenerate_fit"
    /// Together with what was already released from the dataset version, by anyone, the result
    /// would let a withheld cell or a group below the threshold be worked out.
    package static let differencing: Self = "differencing"
    /// The dataset version's release ledger is split too finely to check a new release in time.
    package static let ledgerSaturated: Self = "ledger_saturated"
    /// In privacy mode `dp`: what the spec asks for has no mechanism here (yet), or needs what
    /// only exact mode gives.
    package static let notAvailableInDP: Self = "not_available_in_dp"
    /// In privacy mode `dp`: a group-by over a category column whose levels the policy does not declare.
    package static let levelsUndeclared: Self = "levels_undeclared"
    /// The spec's `epsilon` is above the policy's `maxEpsilonPerJob`, or given for an exact dataset.
    package static let epsilonNotAllowed: Self = "epsilon_not_allowed"
    /// The agreement's, or the dataset's, ε is spent: nothing more can be answered within it.
    package static let privacyBudgetExhausted: Self = "privacy_budget_exhausted"
    /// The researcher has used the policy's `quota.jobsPerDay` on this dataset today (UTC).
    package static let quotaExceeded: Self = "quota_exceeded"

    // Why a job failed in its restricted worker (status `failed`).
    /// The worker used up the policy's CPU seconds.
    package static let cpuLimit: Self = "cpu_limit"
    /// The worker needed more memory than the policy allows.
    package static let memoryLimit: Self = "memory_limit"
    /// The worker ran longer than the policy's wall-clock limit and was stopped.
    package static let wallTimeout: Self = "wall_timeout"
    /// The worker wrote more than the policy's output bytes and was stopped.
    package static let outputTooLarge: Self = "output_too_large"
    /// The worker attempted a system call outside its allowlist and was killed.
    package static let sandboxViolation: Self = "sandbox_violation"
    /// The worker died otherwise (a signal, an exit status, an unreadable reply).
    package static let crashed: Self = "crashed"
}
