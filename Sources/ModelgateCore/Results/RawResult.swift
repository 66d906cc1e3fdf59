/// What an estimator computed, including what only the output checker may see (cell counts,
/// largest contributions, degrees of freedom). It never leaves the gateway: only the checked,
/// released result does.
package struct RawResult: Sendable, Equatable, Codable {
    /// Rows read from the dataset.
    package var rowsScanned: Int
    /// Rows that passed the filters and had every used value.
    package var rowsUsed: Int
    /// Rows that passed the filters but were dropped for a missing value in a used column.
    package var rowsDropped: Int
    package var output: RawOutput
    /// What the row labels the worker wrote for the release ledger mean; nil when it wrote none.
    package var labels: RowLabels?

    package init(rowsScanned: Int, rowsUsed: Int, rowsDropped: Int, output: RawOutput, labels: RowLabels? = nil) {
        self.rowsScanned = rowsScanned
        self.rowsUsed = rowsUsed
        self.rowsDropped = rowsDropped
        self.output = output
        self.labels = labels
    }
}

package enum RawOutput: Sendable, Equatable, Codable {
    case summary([RawVariableSummary])
    case table(RawTable)
    case histogram(RawHistogram)
    case regression(RawRegression)
    /// Privacy mode dp: exact sums of clamped fixed-point values, for the gateway to noise.
    case sums(RawSums)
}

/// Contributions an output checker needs about a group of rows: how many, their total, and the
/// largest absolute contributions (for dominance and p-ratio).
package struct Contributions: Sendable, Equatable, Codable {
    package var count: Int
    /// Sum of absolute values of the measure.
    package var absoluteSum: Double
    /// Largest absolute values, descending; at most ``Contributions/kept`` of them.
    package var largest: [Double]
    /// Whether the measure is boolean (0 or 1): then `absoluteSum` counts the rows that are true.
    package var isBinary: Bool

    package init(count: Int, absoluteSum: Double, largest: [Double], isBinary: Bool = false) {
        self.count = count
        self.absoluteSum = absoluteSum
        self.largest = largest
        self.isBinary = isBinary
    }

    /// How many largest contributions estimators keep per cell (enough for N-K with n ≤ 10).
    package static let kept = 10
}

/// A summary as released, plus the contributions only the output checker sees.
package struct RawVariableSummary: Sendable, Equatable, Codable {
    package var statistics: ReleasedSummary.Variable
    package var contributions: Contributions

    package init(statistics: ReleasedSummary.Variable, contributions: Contributions) {
        self.statistics = statistics
        self.contributions = contributions
    }
}

package struct TableDimension: Sendable, Equatable, Codable {
    package var name: String
    package var levels: [String]
    package init(name: String, levels: [String]) {
        self.name = name
        self.levels = levels
    }
}

/// A table of cells in row-major order over its dimensions (the last dimension varies fastest).
package struct RawTable: Sendable, Equatable, Codable {
    package var dimensions: [TableDimension]
    package var measure: String?
    package var statistic: TableStatistic
    package var cells: [RawCell]

    package init(dimensions: [TableDimension], measure: String?, statistic: TableStatistic, cells: [RawCell]) {
        self.dimensions = dimensions
        self.measure = measure
        self.statistic = statistic
        self.cells = cells
    }
}

package struct RawCell: Sendable, Equatable, Codable {
    /// Rows in the cell.
    package var count: Int
    /// Sum and sum of squares of the measure (0 for a count table), so margins can be
    /// recomputed from released cells.
    package var sum: Double
    package var sumOfSquares: Double
    /// The statistic's value; nil where it is undefined (an empty cell's mean).
    package var value: Double?
    /// Contributions of the measure, for dominance rules; nil for a count table.
    package var contributions: Contributions?

    package init(count: Int, sum: Double, sumOfSquares: Double, value: Double?, contributions: Contributions?) {
        self.count = count
        self.sum = sum
        self.sumOfSquares = sumOfSquares
        self.value = value
        self.contributions = contributions
    }
}

package struct RawHistogram: Sendable, Equatable, Codable {
    package var variable: String
    package var edges: [Double]
    /// Counts of bins `[edges[i], edges[i+1])`; the last bin includes its upper edge.
    package var counts: [Int]
    /// Rows below the first and above the last edge; nil when the edges span the policy's
    /// declared bounds, so nothing can lie outside.
    package var below: Int?
    package var above: Int?

    package init(variable: String, edges: [Double], counts: [Int], below: Int?, above: Int?) {
        self.variable = variable
        self.edges = edges
        self.counts = counts
        self.below = below
        self.above = above
    }
}

package struct RawRegression: Sendable, Equatable, Codable {
    package var terms: [String]
    package var estimates: [Double]
    package var standardErrors: [Double]
    /// t statistics (linear) or z statistics (logistic).
    package var statistics: [Double]
    package var pValues: [Double]
    package var nObservations: Int
    /// Residual degrees of freedom: observations minus parameters.
    package var degreesOfFreedom: Int
    /// The 95 % confidence interval's half-width in standard errors: Student's t with the
    /// residual degrees of freedom (linear) or the normal's 1.96 (logistic); nil when undefined.
    package var critical95: Double?
    package var rSquared: Double?
    package var adjustedRSquared: Double?
    package var logLikelihood: Double?
    /// Fewest rows in a nonempty group whose size the fit gives away (a category level, a
    /// boolean value, a value of a few-valued integer feature, a two-way combination of those,
    /// an outcome of a boolean target within them); nil when the model has none. A small group
    /// lets the coefficients give away its size and its members' values.
    package var smallestGroup: Int?
    /// Whether one of those groups is empty, which the fit gives away like a zero cell.
    package var hasEmptyGroup: Bool
    /// The contributions of the target and of each feature that is not a category, in the whole
    /// sample and in each nonempty group above (but the groups a variable's own values make): the
    /// fit gives each such sum away, so each faces a table cell's group-disclosure and dominance
    /// rules.
    package var groupContributions: [Contributions]
    /// Largest leverage of any used row (the diagonal of the hat matrix, weighted for a logit).
    package var maximumLeverage: Double?
    /// False when the design matrix is rank-deficient or the fit did not converge.
    package var isWellDefined: Bool
    /// Why the fit is not well defined, for the refusal message.
    package var problem: String?

    package init(
        terms: [String], estimates: [Double], standardErrors: [Double], statistics: [Double], pValues: [Double],
        nObservations: Int, degreesOfFreedom: Int, critical95: Double? = nil, rSquared: Double? = nil,
        adjustedRSquared: Double? = nil, logLikelihood: Double? = nil, smallestGroup: Int? = nil,
        hasEmptyGroup: Bool = false, groupContributions: [Contributions] = [], maximumLeverage: Double? = nil,
        isWellDefined: Bool = true, problem: String? = nil
    ) {
        self.critical95 = critical95
        self.terms = terms
        self.estimates = estimates
        self.standardErrors = standardErrors
        self.statistics = statistics
        self.pValues = pValues
        self.nObservations = nObservations
        self.degreesOfFreedom = degreesOfFreedom
        self.rSquared = rSquared
        self.adjustedRSquared = adjustedRSquared
        self.logLikelihood = logLikelihood
        self.smallestGroup = smallestGroup
        self.hasEmptyGroup = hasEmptyGroup
        self.groupContributions = groupContributions
        self.maximumLeverage = maximumLeverage
        self.isWellDefined = isWellDefined
        self.problem = problem
    }
}
