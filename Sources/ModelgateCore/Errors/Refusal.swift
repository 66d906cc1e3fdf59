/// A decision not to run, or not to release, a job: a first-class result with its reason.
///
/// Admission and output checking produce refusals; they are returned to the researcher as
/// `status: "refused"` with `reason.code` and `reason.message`, never hidden as a crash.
public struct Refusal: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    /// A stable machine-readable reason, e.g. `column_not_allowed`.
    public var code: Code
    /// What happened and what the researcher can change.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Refusal codes are an open set: new rules add codes without breaking clients.
    public struct Code: OpenCode {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
    }
}

extension Refusal.Code {
    public static let invalidSpec: Self = "invalid_spec"
    public static let specTooLarge: Self = "spec_too_large"
    public static let unknownDataset: Self = "unknown_dataset"
    public static let unknownModel: Self = "unknown_model"
    public static let datasetClosed: Self = "dataset_closed"
    public static let modelNotAllowed: Self = "model_not_allowed"
    public static let unknownColumn: Self = "unknown_column"
    public static let columnNotAllowed: Self = "column_not_allowed"
    public static let wrongColumnType: Self = "wrong_column_type"
    public static let invalidFilter: Self = "invalid_filter"
    public static let tooManyDimensions: Self = "too_many_dimensions"
    public static let tooManyFeatures: Self = "too_many_features"
    public static let tooManyCells: Self = "too_many_cells"
    public static let tooManySuppressedCells: Self = "too_many_suppressed_cells"
    public static let binsNeedBounds: Self = "bins_need_bounds"
    public static let groupNeedsBounds: Self = "group_needs_bounds"
    public static let belowThreshold: Self = "below_threshold"
    public static let dominance: Self = "dominance"
    public static let groupDisclosure: Self = "group_disclosure"
    public static let smallComplement: Self = "small_complement"
    public static let insufficientDegreesOfFreedom: Self = "insufficient_degrees_of_freedom"
    public static let tooManyParameters: Self = "too_many_parameters"
    public static let highLeverage: Self = "high_leverage"
    public static let degenerateFit: Self = "degenerate_fit"
    /// Together with what was already released from the dataset version, by anyone, the result
    /// would let a withheld cell or a group below the threshold be worked out.
    public static let differencing: Self = "differencing"
    /// The dataset version's release ledger is split too finely to check a new release in time.
    public static let ledgerSaturated: Self = "ledger_saturated"
    /// The researcher has used the policy's `quota.jobsPerDay` on this dataset today (UTC).
    public static let quotaExceeded: Self = "quota_exceeded"

    // Why a job failed in its restricted worker (status `failed`).
    /// The worker used up the policy's CPU seconds.
    public static let cpuLimit: Self = "cpu_limit"
    /// The worker needed more memory than the policy allows.
    public static let memoryLimit: Self = "memory_limit"
    /// The worker ran longer than the policy's wall-clock limit and was stopped.
    public static let wallTimeout: Self = "wall_timeout"
    /// The worker wrote more than the policy's output bytes and was stopped.
    public static let outputTooLarge: Self = "output_too_large"
    /// The worker attempted a system call outside its allowlist and was killed.
    public static let sandboxViolation: Self = "sandbox_violation"
    /// The worker died otherwise (a signal, an exit status, an unreadable reply).
    public static let crashed: Self = "crashed"
}
