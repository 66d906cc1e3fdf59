/// What a researcher asks for: a built-in model over one dataset, with optional row filters.
///
/// Read from YAML or JSON with ``ModelSpec/init(text:)``; admitted against a policy with
/// ``Policy/admit(_:)``.
package struct ModelSpec: Sendable, Equatable, Codable {
    package var dataset: String
    package var filters: [Filter]
    package var task: ModelTask
    /// The ε the job may spend, on a dataset in privacy mode `dp` (default: the policy's).
    package var epsilon: MicroEpsilon?
    /// In privacy mode `dp`, narrower bounds than the policy's to clamp measured columns to: the
    /// noise scales with the range, so a researcher who knows where the values of interest lie
    /// trades the clamped tails for less noise. Public, like the rest of the spec.
    package var clamp: [String: ClampRange]
    /// The researcher's own name for the job, shown in the job list (not part of the question).
    package var label: String?

    package init(
        dataset: String, filters: [Filter] = [], task: ModelTask, epsilon: MicroEpsilon? = nil,
        clamp: [String: ClampRange] = [:], label: String? = nil
    ) {
        self.dataset = dataset
        self.filters = filters
        self.task = task
        self.epsilon = epsilon
        self.clamp = clamp
        self.label = label
    }

    package var model: ModelKind { task.kind }
}

/// The range a measured column is clamped to (`clamp: { income: [0, 200000] }`).
package struct ClampRange: Sendable, Equatable, Codable {
    package var low: Double
    package var high: Double
    package init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }
}

/// The model-specific part of a spec.
package enum ModelTask: Sendable, Equatable, Codable {
    /// n, mean, standard deviation and quartiles of each variable.
    case summary(variables: [String])
    /// A table of counts or of a statistic of `measure`, grouped by up to three dimensions.
    case crosstab(CrosstabTask)
    /// Counts of `variable` in bins.
    case histogram(HistogramTask)
    case linearRegression(RegressionTask)
    case logisticRegression(RegressionTask)

    /// The columns the model itself reads (filters aside).
    package var columns: [String] {
        switch self {
        case .summary(let variables): return variables
        case .crosstab(let table): return table.dimensions + (table.measure.map { [$0] } ?? [])
        case .histogram(let histogram): return [histogram.variable]
        case .linearRegression(let regression), .logisticRegression(let regression):
            return [regression.target] + regression.features
        }
    }

    /// The columns whose values, not only whose rows, its figures are made of: a summary's
    /// variables, a table's measure unless it counts, a regression's target and features. The
    /// release ledger keeps apart what is known of each (see ``LedgerEntry/measures``).
    package var measures: [String] {
        switch self {
        case .summary(let variables): return variables
        case .crosstab(let table): return table.statistic == .count ? [] : table.measure.map { [$0] } ?? []
        case .histogram: return []
        case .linearRegression(let regression), .logisticRegression(let regression):
            return [regression.target] + regression.features
        }
    }

    package var kind: ModelKind {
        switch self {
        case .summary: return .summary
        case .crosstab: return .crosstab
        case .histogram: return .histogram
        case .linearRegression: return .linearRegression
        case .logisticRegression: return .logisticRegression
        }
    }
}

package struct CrosstabTask: Sendable, Equatable, Codable {
    package var rows: [String]
    package var columns: [String]
    package var measure: String?
    package var statistic: TableStatistic

    package init(rows: [String], columns: [String] = [], measure: String? = nil, statistic: TableStatistic = .count) {
        self.rows = rows
        self.columns = columns
        self.measure = measure
        self.statistic = statistic
    }

    /// All grouping columns, rows first.
    package var dimensions: [String] { rows + columns }
}

package enum TableStatistic: String, Sendable, Codable, CaseIterable {
    case count, sum, mean, median, std
}

package struct HistogramTask: Sendable, Equatable, Codable {
    package var variable: String
    /// Number of equal-width bins between the policy's `min` and `max`.
    package var bins: Int?
    /// Explicit bin edges, ascending. After admission this is always set.
    package var edges: [Double]?

    package init(variable: String, bins: Int? = nil, edges: [Double]? = nil) {
        self.variable = variable
        self.bins = bins
        self.edges = edges
    }

    /// Whether the histogram has a bin below its first edge and one above its last: not where the
    /// edges reach the variable's declared bounds (`planned`), since ingest keeps every value
    /// within them and such a bin would be a structural zero. Edges placed from the bounds (bins
    /// given) span them.
    package func outerBins(planned: PlannedColumn?) -> (below: Bool, above: Bool) {
        guard bins == nil, let first = edges?.first, let last = edges?.last else { return (false, false) }
        return (!(planned?.min.map { first <= $0 } ?? false), !(planned?.max.map { last >= $0 } ?? false))
    }
}

package struct RegressionTask: Sendable, Equatable, Codable {
    package var target: String
    package var features: [String]

    package init(target: String, features: [String]) {
        self.target = target
        self.features = features
    }
}
