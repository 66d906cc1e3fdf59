/// A checked result that may leave the gateway: aggregates only, suppressed cells blanked.
package enum ReleasedOutput: Sendable, Equatable, Codable {
    case summary(ReleasedSummary)
    case table(ReleasedTable)
    case histogram(ReleasedHistogram)
    case regression(ReleasedRegression)

    package func encode(to encoder: any Encoder) throws {
        switch self {
        case .summary(let value): try value.encode(to: encoder)
        case .table(let value): try value.encode(to: encoder)
        case .histogram(let value): try value.encode(to: encoder)
        case .regression(let value): try value.encode(to: encoder)
        }
    }

    private enum Shape: String, CodingKey { case variables, cells, bins, coefficients }

    package init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: Shape.self)
        if keys.contains(.cells) {
            self = .table(try ReleasedTable(from: decoder))
        } else if keys.contains(.bins) {
            self = .histogram(try ReleasedHistogram(from: decoder))
        } else if keys.contains(.coefficients) {
            self = .regression(try ReleasedRegression(from: decoder))
        } else {
            self = .summary(try ReleasedSummary(from: decoder))
        }
    }
}

package struct ReleasedSummary: Sendable, Equatable, Codable {
    package var variables: [Variable]

    /// n, mean, sample standard deviation and quartiles (each the mean of the ten values nearest
    /// it) of one variable. The quartiles are absent when there are fewer than 40 values: each
    /// would lie too close to the selection's few extreme values.
    package struct Variable: Sendable, Equatable, Codable {
        package var name: String
        package var n: Int
        package var mean: Double
        package var std: Double
        package var q1: Double?
        package var median: Double?
        package var q3: Double?

        package init(name: String, n: Int, mean: Double, std: Double, q1: Double?, median: Double?, q3: Double?) {
            self.name = name
            self.n = n
            self.mean = mean
            self.std = std
            self.q1 = q1
            self.median = median
            self.q3 = q3
        }
    }

    package init(variables: [Variable]) { self.variables = variables }
}

package struct ReleasedTable: Sendable, Equatable, Codable {
    package var dimensions: [TableDimension]
    package var measure: String?
    package var statistic: TableStatistic
    /// Every combination of levels, row-major.
    package var cells: [ReleasedCell]
    /// Margins by each dimension, then the grand total (empty `keys`), recomputed from the
    /// released cells only; nil values where nothing was released or the statistic (median)
    /// cannot be recomputed from cells.
    package var totals: [ReleasedCell]

    package init(
        dimensions: [TableDimension], measure: String?, statistic: TableStatistic, cells: [ReleasedCell],
        totals: [ReleasedCell]
    ) {
        self.dimensions = dimensions
        self.measure = measure
        self.statistic = statistic
        self.cells = cells
        self.totals = totals
    }
}

package struct ReleasedCell: Sendable, Equatable, Codable {
    package var keys: [String: String]
    package var value: Double?
    /// Withheld. A withheld cell does not say which rule withheld it: "small" or "withheld to
    /// protect another" would bound its count.
    package var suppressed: Bool

    package init(keys: [String: String], value: Double?, suppressed: Bool = false) {
        self.keys = keys
        self.value = value
        self.suppressed = suppressed
    }
}

package struct ReleasedHistogram: Sendable, Equatable, Codable {
    package var variable: String
    /// Bins in order; a bin below the first edge has no `lower`, one above the last has no `upper`.
    package var bins: [Bin]

    package struct Bin: Sendable, Equatable, Codable {
        package var lower: Double?
        package var upper: Double?
        package var count: Int?
        /// Withheld; like a table's cell, without saying why.
        package var suppressed: Bool
        package init(lower: Double?, upper: Double?, count: Int?, suppressed: Bool = false) {
            self.lower = lower
            self.upper = upper
            self.count = count
            self.suppressed = suppressed
        }
    }

    package init(variable: String, bins: [Bin]) {
        self.variable = variable
        self.bins = bins
    }
}

package struct ReleasedRegression: Sendable, Equatable, Codable {
    package var coefficients: [Coefficient]
    package var nObservations: Int
    package var degreesOfFreedom: Int
    package var rSquared: Double?
    package var adjustedRSquared: Double?
    package var logLikelihood: Double?

    package struct Coefficient: Sendable, Equatable, Codable {
        package var term: String
        package var estimate: Double
        /// The textbook standard error, t or z statistic and p-value; absent in privacy mode dp,
        /// where they would treat the noisy figures as exact.
        package var stdError: Double?
        package var statistic: Double?
        package var pValue: Double?
        /// Privacy mode dp: the estimate is within this of what the exact figures give, 95 times
        /// in 100 (the noise's error only, not the sampling error).
        package var noise95: Double?
        /// The 95 % confidence interval: estimate ∓ t (linear, residual degrees of freedom) or z
        /// (logistic) standard errors; absent in privacy mode dp.
        package var ci95Low: Double?
        package var ci95High: Double?

        package init(
            term: String, estimate: Double, stdError: Double? = nil, statistic: Double? = nil, pValue: Double? = nil,
            noise95: Double? = nil
        ) {
            self.term = term
            self.estimate = estimate
            self.stdError = stdError
            self.statistic = statistic
            self.pValue = pValue
            self.noise95 = noise95
        }
    }

    package init(coefficients: [Coefficient], nObservations: Int, degreesOfFreedom: Int) {
        self.coefficients = coefficients
        self.nObservations = nObservations
        self.degreesOfFreedom = degreesOfFreedom
    }

    package init(_ raw: RawRegression) {
        coefficients = raw.terms.indices.map {
            var coefficient = Coefficient(
                term: raw.terms[$0], estimate: raw.estimates[$0], stdError: raw.standardErrors[$0],
                statistic: raw.statistics[$0], pValue: raw.pValues[$0])
            if let critical = raw.critical95, critical.isFinite {
                coefficient.ci95Low = raw.estimates[$0] - critical * raw.standardErrors[$0]
                coefficient.ci95High = raw.estimates[$0] + critical * raw.standardErrors[$0]
            }
            return coefficient
        }
        nObservations = raw.nObservations
        degreesOfFreedom = raw.degreesOfFreedom
        rSquared = raw.rSquared
        adjustedRSquared = raw.adjustedRSquared
        logLikelihood = raw.logLikelihood
    }
}

extension ReleasedOutput {
    /// How many values the output holds (table cells, histogram bins, summary variables,
    /// coefficients) and how many of them were suppressed: what a suppression rate is made of.
    package var cellCounts: (total: Int, suppressed: Int) {
        switch self {
        case .table(let table): (table.cells.count, table.cells.count { $0.suppressed })
        case .histogram(let histogram): (histogram.bins.count, histogram.bins.count { $0.suppressed })
        case .summary(let summary): (summary.variables.count, 0)
        case .regression(let regression): (regression.coefficients.count, 0)
        }
    }
}
