import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// Logistic regression by Newton–Raphson (equivalently IRLS), with standard errors from the
/// inverse information matrix and Wald z tests, as statsmodels' `Logit.fit()` reports them.
enum LogisticRegression {
    static let maximumIterations = 100

    /// A design of at least `warmSampleRows` times `warmSampling` rows first converges on every
    /// `warmSampling`-th block of its rows (see ``RowSelection/sampledBlocks(_:)``).
    static let warmSampling = 16
    static let warmSampleRows = 12_500

    static func fit(_ design: DesignMatrix) -> RawRegression {
        let p = design.parameterCount
        let n = design.nObservations
        let terms = design.terms
        guard n > p else { return LinearRegression.degenerate(design, "fewer rows than parameters") }
        let zero = [Double](repeating: 0, count: p)
        // Warm start: Newton on a sixteenth of the rows lands within a few standard errors of the
        // optimum at a sixteenth of the cost; from there the full data needs two steps and a
        // final pass instead of six or seven. The answer is the full-data optimum. A sample unlike
        // the whole (rows ordered in some period of blocks) can start it where Newton fails: then
        // it starts again from zero, as without a warm start.
        var warm: [Double]?
        if n / warmSampling >= warmSampleRows { warm = newton(design, from: zero, sampling: warmSampling)?.beta }
        guard
            var (beta, system, decrement) = warm.flatMap({ newton(design, from: $0, sampling: 1) })
                ?? newton(design, from: zero, sampling: 1)
        else {
            return LinearRegression.degenerate(
                design,
                "the fit did not converge (the outcome may be perfectly predicted by a feature, or a feature is constant)"
            )
        }
        // The information matrix, and so the standard errors and the leverage, are those of the
        // last pass, at the estimates before its step δ. A row's weight moves with δ by a relative
        // |xᵀδ| at most, and |xᵀδ|² ≤ q·δᵀ∇ with q = xᵀ(XᵀWX)⁻¹x (Cauchy–Schwarz in XᵀWX): so
        // XᵀWX moves, relative to itself, by at most √(δᵀ∇)·Σ w·q^(3/2), which the leverage's pass
        // also sums. Beyond `informationTolerance`, a pass more at the estimates (a small design
        // can need one; a large one's last step is small against its information).
        var extraPasses = 0
        while true {
            let inverse = system.inverse()
            // The log-likelihood at the estimates comes with the leverage's pass.
            let (leverage, logLikelihood, sensitivity) = design.maximumLeverage(
                inverse: inverse, coefficients: beta, weigh)
            if decrement.squareRoot() * sensitivity > informationTolerance, extraPasses < 3,
                let closer = newtonStep(design, from: beta, sampling: 1), closer.decrement < decrement
            {
                (beta, system, decrement) = closer
                extraPasses += 1
                continue
            }
            let standardErrors = (0..<p).map { inverse[$0 * p + $0].squareRoot() }
            let statistics = zip(beta, standardErrors).map { $0 / $1 }
            let finite = standardErrors.allSatisfy(\.isFinite)
            return RawRegression(
                terms: terms, estimates: beta, standardErrors: standardErrors, statistics: statistics,
                pValues: statistics.map(Distributions.normalTwoSided), nObservations: n, degreesOfFreedom: n - p,
                critical95: Distributions.normalCritical95, logLikelihood: logLikelihood,
                smallestGroup: design.groups.smallest, hasEmptyGroup: design.groups.hasEmpty,
                groupContributions: design.groups.contributions,
                maximumLeverage: leverage,
                isWellDefined: finite,
                problem: finite ? nil : "the fit produced non-finite standard errors")
        }
    }

    /// How far, relative to itself, the information matrix the standard errors come from may be
    /// from the one at the estimates (see ``fit(_:)``): far below the standard errors' own
    /// sampling error, and below what statsmodels' stopping rule leaves in its own.
    static let informationTolerance = 1e-7

    /// Newton's method from `start` over the used rows of every `sampling`-th block: the estimates,
    /// the information matrix of the last pass and that pass's decrement; nil when it does not
    /// converge to finite estimates (separation, a constant feature).
    static func newton(_ design: DesignMatrix, from start: [Double], sampling: Int)
        -> (beta: [Double], system: SymmetricSystem, decrement: Double)?
    {
        var beta = start
        for _ in 0..<maximumIterations {
            guard let (next, system, decrement) = newtonStep(design, from: beta, sampling: sampling) else { return nil }
            // The Newton decrement δᵀ∇ (twice the log-likelihood still to gain) bounds every
            // coefficient's step in units of its standard error, whatever the features' scales.
            // Under 1e-10, quadratic convergence leaves the estimate, with this last step, at the
            // optimum to working precision. The step must also have stopped moving the
            // coefficients: under separation the decrement fades while the estimates run off to
            // infinity.
            let relativeStep = zip(beta, next).map { abs($1 - $0) / max(abs($1), 1) }.max() ?? 0
            beta = next
            if decrement < 1e-10 && relativeStep < 1e-6 {
                guard beta.allSatisfy({ $0.isFinite && abs($0) < 1e8 }) else { return nil }
                return (beta, system, decrement)
            }
        }
        return nil
    }

    /// One Newton step from `beta`: (XᵀWX) δ = Xᵀ(y − μ) with w = μ(1 − μ), at `beta`. The
    /// estimates after it, the system it solved, and its decrement δᵀXᵀ(y − μ); nil when the
    /// system is singular or the decrement is not finite.
    static func newtonStep(_ design: DesignMatrix, from beta: [Double], sampling: Int)
        -> (beta: [Double], system: SymmetricSystem, decrement: Double)?
    {
        let (gram, moment) = design.normalEquations(coefficients: beta, sampling: sampling, weigh)
        guard let system = SymmetricSystem(matrix: gram, size: design.parameterCount) else { return nil }
        let step = system.solve(moment)
        let decrement = zip(step, moment).reduce(0) { $0 + $1.0 * $1.1 }
        guard decrement.isFinite else { return nil }
        return (zip(beta, step).map { $0 + $1 }, system, decrement)
    }

    /// The logit's weights at each row's η: μ = 1/(1 + e^−η), w = μ(1 − μ) and w·z = y − μ (the
    /// Newton step's moment is Xᵀ(y − μ)); with `total`, the log-likelihood of the rows,
    /// Σ y·η − log(1 + e^η).
    ///
    /// With e = e^(−|η|) ≤ 1, w = e/(1 + e)² (no cancellation), μ = 1/(1 + e) for η ≥ 0 and
    /// e/(1 + e) below, and log(1 + e^η) = max(η, 0) + log(1 + e). The logarithms are taken of
    /// products of 1 + e over each lane's rows (at most 64 factors of at most 2, far from overflow),
    /// one per lane and block instead of one per row; each product is rounded at most 64 times, so
    /// the sum is as accurate as adding a logarithm a row.
    static func weigh(_ rows: WeighedRows, total: Bool) -> Double {
        var products = SIMD4<Double>(repeating: 1)
        var linear = SIMD4<Double>()
        let signBit = SIMD4<UInt64>(repeating: 1 << 63)
        // Whole vectors of rows, then the last one, part padding; past it, nothing (the caller clears
        // the padding's w and w·z).
        let whole = rows.count & ~3
        for index in Swift.stride(from: 0, to: (rows.count + 3) & ~3, by: 4) {
            let eta = rows.eta.vector(at: index)
            let y = rows.y.vector(at: index)
            // −|η|, by setting the sign bit (a NaN stays NaN).
            let negative = unsafeBitCast(unsafeBitCast(eta, to: SIMD4<UInt64>.self) | signBit, to: SIMD4<Double>.self)
            let e = NegativeExponential.of(negative)
            let onePlus = 1 + e
            let reciprocal = 1 / onePlus
            let mu = reciprocal.replacing(with: e * reciprocal, where: eta .< 0)
            rows.w.store(e * reciprocal * reciprocal, at: index)
            rows.wz.store(y - mu, at: index)
            if total {
                var factor = onePlus
                var term = y * eta - eta.replacing(with: 0, where: eta .< 0)
                if index >= whole {
                    let isRow = rows.isRow(index)
                    factor.replace(with: 1, where: .!isRow)
                    term.replace(with: 0, where: .!isRow)
                }
                products *= factor
                linear += term
            }
        }
        guard total else { return 0 }
        return linear.sum() - (log(products[0]) + log(products[1]) + log(products[2]) + log(products[3]))
    }
}
