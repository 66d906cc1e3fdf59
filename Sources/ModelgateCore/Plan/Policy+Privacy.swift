/// How a job on a dataset in privacy mode `dp` is answered: the ε it spends, the mechanism, and
/// the shape of what is released, all from the policy and the spec, never from the data.
package struct PrivacyTerms: Sendable, Equatable, Codable {
    package var epsilon: MicroEpsilon
    /// What is released, each figure a sum over the rows (in every cell of a table) with what
    /// one row can change in it; ε is shared equally among them (see ``noise(for:)``).
    package var figures: [PrivacyFigure]
    /// A table's dimensions with the levels the policy declares (a category's `levels`, an
    /// integer's bounds, a boolean's false and true); nil for other models.
    package var dimensions: [TableDimension]?
    /// How the worker reads each measured column: clamped to the policy's bounds, in whole
    /// quanta. Empty for counts.
    package var fixedPoints: [String: FixedPoint]
    /// The privacy unit when it is several rows; nil when it is a row.
    package var unit: PrivacyUnit?

    package static let mechanism = "discrete_laplace"

    package init(
        epsilon: MicroEpsilon, figures: [PrivacyFigure], dimensions: [TableDimension]?,
        fixedPoints: [String: FixedPoint] = [:], unit: PrivacyUnit? = nil
    ) {
        self.epsilon = epsilon
        self.figures = figures
        self.dimensions = dimensions
        self.fixedPoints = fixedPoints
        self.unit = unit
    }
}

/// One kind of figure a dp job releases: a sum over the used rows of something each row
/// contributes, in every cell of a table or once.
package struct PrivacyFigure: Sendable, Equatable, Codable {
    package var kind: Kind
    /// The L1 sensitivity for replace-one neighbours (the dataset's size is public, in the
    /// catalog), in the figure's units: the most one row's values, changed in any way (to a value
    /// beyond the bounds, to a missing one, to another cell), move the figure over all cells.
    package var sensitivity: Int64
    /// One unit of the figure in the data's own terms: 1 for a count, the quantum for a sum, the
    /// quanta's product times ``FixedPoint/productDivisor`` for a product.
    package var unit: Double

    package enum Kind: Sendable, Equatable, Hashable, Codable {
        /// Rows used.
        case count
        /// Σ of a column's values.
        case sum(String)
        /// Σ of two columns' values multiplied (a square when both are the same column).
        case product(String, String)
    }

    package var name: String {
        switch kind {
        case .count: "count"
        case .sum(let column): "sum of \(column)"
        case .product(let a, let b) where a == b: "sum of squares of \(a)"
        case .product(let a, let b): "sum of \(a) × \(b)"
        }
    }

    /// The figure's sensitivity from the bounds of its columns in `fixedPoints`: in a `table`, a
    /// row moves between cells, so it can take away its largest contribution from one and add it
    /// to another; once, it can change its contribution across the range, or to or from nothing
    /// (a missing value drops a row). A unit of up to `rowsPerUnit` rows changes it by that many
    /// rows' worth.
    package init(_ kind: Kind, fixedPoints: [String: FixedPoint], table: Bool, rowsPerUnit: Int = 1) {
        self.kind = kind
        let range: (low: Int64, high: Int64)
        switch kind {
        case .count:
            range = (1, 1)
            unit = 1
        case .sum(let column):
            let point = fixedPoints[column]!
            range = (point.low, point.high)
            unit = point.quantum
        case .product(let a, let b):
            let (x, y) = (fixedPoints[a]!, fixedPoints[b]!)
            // Bilinear, so the extremes are at corners; a square's are at the bounds, or at zero
            // when the range holds it. Rounding is monotone, so it keeps them extreme.
            var corners =
                a == b
                ? [x.low * x.low, x.high * x.high] + (x.low <= 0 && x.high >= 0 ? [0] : [])
                : [x.low * y.low, x.low * y.high, x.high * y.low, x.high * y.high]
            corners = corners.map(FixedPoint.rounded)
            range = (corners.min()!, corners.max()!)
            unit = x.quantum * y.quantum * Double(FixedPoint.productDivisor)
        }
        // At least 1: a figure no row can change (a column bounded to one value) still gets noise.
        let row = table ? 2 * max(abs(range.low), abs(range.high)) : max(range.high, 0) - min(range.low, 0)
        sensitivity = max(1, row) * Int64(rowsPerUnit)
    }
}

extension PrivacyTerms {
    /// The worker's figures for a task, in the order it computes them; the gateway's figures are
    /// these, with their sensitivities.
    package static func figureKinds(of task: ModelTask) -> [PrivacyFigure.Kind] {
        switch task {
        case .crosstab(let table):
            guard let measure = table.measure, table.statistic != .count else { return [.count] }
            return table.statistic == .sum ? [.sum(measure)] : [.count, .sum(measure)]
        case .histogram: return [.count]
        case .summary(let variables):
            return [.count] + variables.map { .sum($0) } + variables.map { .product($0, $0) }
        case .linearRegression(let regression), .logisticRegression(let regression):
            let variables = regression.features + [regression.target]
            var kinds: [PrivacyFigure.Kind] = [.count] + variables.map { .sum($0) }
            for (i, a) in variables.enumerated() {
                for b in variables[i...] { kinds.append(.product(a, b)) }
            }
            return kinds
        }
    }

    /// The ε each figure is released at: an equal share of the job's, so that the figures
    /// together cost the job's ε (sequential composition; a table's cells are disjoint, so each
    /// figure's cells cost its share once).
    package var shares: Int64 { Int64(figures.count) }

    /// The largest noise scale a figure may have, in its own units (2⁴⁰): a draw can then not
    /// come near the limits of a 64-bit integer, and Δ·k·10⁶ fits the sampler's 64 bits. Far
    /// beyond any useful figure (a count with noise of scale 10¹²).
    package static let largestScale: Int64 = 1 << 40

    /// A refusal when some figure's noise would be larger than ``largestScale``: ε too small for
    /// the bounds, the unit and the number of figures.
    func requireReleasableScales() throws(Refusal) {
        for figure in figures {
            let (spread, overflow) = figure.sensitivity.multipliedReportingOverflow(by: shares * 1_000_000)
            guard !overflow, spread / epsilon.micros <= Self.largestScale else {
                throw Refusal(
                    .epsilonNotAllowed,
                    "at epsilon \(epsilon) the noise on '\(figure.name)' would be too large to release; spend more epsilon, clamp more narrowly, or ask for fewer figures (features, variables)"
                )
            }
        }
    }
}

extension Policy {
    /// In privacy mode `dp`, the terms of a job already admitted by ``admit(_:)``, or the refusal
    /// that says what is not available; nil in exact mode (where a spec's `epsilon` is refused).
    ///
    /// Released in dp mode: a crosstab's counts, sums or means over declared levels; a
    /// histogram's bins; a summary's n, mean and standard deviation; a linear regression's
    /// coefficients from noisy sufficient statistics. Measured values are clamped to the
    /// policy's bounds.
    package func privacyTerms(for spec: ModelSpec) throws(Refusal) -> PrivacyTerms? {
        guard privacy.mode == .dp else {
            if !spec.clamp.isEmpty {
                throw Refusal(
                    .invalidSpec,
                    "dataset '\(dataset.id)' gives exact results; 'clamp' applies to datasets in privacy mode dp only")
            }
            if spec.epsilon != nil {
                throw Refusal(
                    .epsilonNotAllowed,
                    "dataset '\(dataset.id)' gives exact results checked for disclosure; 'epsilon' applies to datasets in privacy mode dp only"
                )
            }
            return nil
        }
        let epsilon = spec.epsilon ?? privacy.epsilonPerJob
        guard epsilon <= privacy.maxEpsilonPerJob else {
            throw Refusal(
                .epsilonNotAllowed,
                "epsilon \(epsilon) is above the \(privacy.maxEpsilonPerJob) a job may spend on '\(dataset.id)'")
        }
        var dimensions: [TableDimension]? = nil
        switch spec.task {
        case .crosstab(let table):
            guard [.count, .sum, .mean].contains(table.statistic) else {
                throw Refusal(
                    .notAvailableInDP,
                    "a table's \(table.statistic.rawValue) has no differentially private mechanism here; '\(dataset.id)' is in privacy mode dp, where a table gives count, sum or mean"
                )
            }
            dimensions = try declaredDimensions(table.dimensions)
        case .logisticRegression:
            throw Refusal(
                .notAvailableInDP,
                "logistic regression has no differentially private mechanism here; '\(dataset.id)' is in privacy mode dp, where a linear regression is available"
            )
        case .linearRegression(let regression):
            for name in regression.features where column(named: name)?.type == .category {
                throw Refusal(
                    .notAvailableInDP,
                    "'\(name)' is a category; in privacy mode dp a regression takes integer, number or boolean features"
                )
            }
        case .histogram, .summary: break
        }
        let kinds = PrivacyTerms.figureKinds(of: spec.task)
        var fixedPoints: [String: FixedPoint] = [:]
        for kind in kinds {
            switch kind {
            case .count: break
            case .sum(let name): fixedPoints[name] = try fixedPoint(name, spec.clamp[name])
            case .product(let a, let b):
                fixedPoints[a] = try fixedPoint(a, spec.clamp[a])
                fixedPoints[b] = try fixedPoint(b, spec.clamp[b])
            }
        }
        for name in spec.clamp.keys.sorted() where fixedPoints[name] == nil {
            throw Refusal(
                .invalidSpec, "'clamp' names '\(name)', which this job does not measure; clamp only what it sums")
        }
        let table = dimensions != nil || spec.model == .histogram
        let unit = privacy.unit
        let terms = PrivacyTerms(
            epsilon: epsilon,
            figures: kinds.map {
                PrivacyFigure($0, fixedPoints: fixedPoints, table: table, rowsPerUnit: unit?.maxRows ?? 1)
            },
            dimensions: dimensions, fixedPoints: fixedPoints, unit: unit)
        try terms.requireReleasableScales()
        return terms
    }

    /// A table's dimensions over the levels the policy declares, within the cell limit.
    private func declaredDimensions(_ names: [String]) throws(Refusal) -> [TableDimension] {
        var dimensions: [TableDimension] = []
        for name in names {
            guard let column = column(named: name) else { continue }
            switch column.type {
            case .category:
                guard let levels = column.levels else {
                    throw Refusal(
                        .levelsUndeclared,
                        "'\(name)' is a category whose levels the policy does not declare; in privacy mode dp a table shows every declared level, so ask the data owner to declare them"
                    )
                }
                dimensions.append(TableDimension(name: name, levels: levels))
            case .boolean:
                dimensions.append(TableDimension(name: name, levels: ["false", "true"]))
            case .integer:
                // Admission required the bounds and kept the table within its cell limit.
                guard let low = column.min, let high = column.max else { continue }
                // The worker's levels: every whole number within the bounds.
                let (first, last) = (Int(low.rounded(.up)), Int(high.rounded(.down)))
                dimensions.append(
                    TableDimension(name: name, levels: first <= last ? (first...last).map(String.init) : []))
            default: continue
            }
        }
        let cells = dimensions.reduce(1) { $0 * max(1, $1.levels.count) }
        guard cells <= AdmissionLimits.cells else {
            throw Refusal(
                .tooManyCells,
                "the table over the declared levels would have \(cells) cells, more than the \(AdmissionLimits.cells) allowed; group more coarsely"
            )
        }
        return dimensions
    }

    /// How a measured column is read in fixed point: a boolean as 0 or 1, an integer or number
    /// within the bounds the policy must declare (`policy lint` says so too), or within the
    /// spec's narrower `clamp`.
    private func fixedPoint(_ name: String, _ clamp: ClampRange?) throws(Refusal) -> FixedPoint {
        guard let column = column(named: name) else {
            throw Refusal(.unknownColumn, "column '\(name)' is not in the policy of '\(dataset.id)'")
        }
        if column.type == .boolean {
            guard clamp == nil else {
                throw Refusal(.invalidSpec, "'\(name)' is a boolean, 0 or 1; it takes no 'clamp'")
            }
            return FixedPoint(min: 0, max: 1)
        }
        guard let low = column.min, let high = column.max, low <= high else {
            throw Refusal(
                .notAvailableInDP,
                "'\(name)' has no declared min and max; in privacy mode dp its values are clamped to them, so ask the data owner to declare them"
            )
        }
        guard let clamp else { return FixedPoint(min: low, max: high) }
        guard clamp.low >= low && clamp.high <= high else {
            throw Refusal(
                .invalidSpec,
                "'clamp' for '\(name)' [\(clamp.low), \(clamp.high)] goes beyond the policy's bounds [\(low), \(high)]; a clamp narrows them (less noise), it cannot widen them"
            )
        }
        return FixedPoint(min: clamp.low, max: clamp.high)
    }
}
