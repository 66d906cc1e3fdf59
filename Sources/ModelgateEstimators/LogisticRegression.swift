import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// Logistic regression by Newton–Raphson (equivalently IRLS), with standard errors from the
/// inverse information matrix and Wald z tests, as statsmodels' `Logit.fit()` reports them.
enum LogisticRegression {
    static let maximumIterations = 100

    /// Designs this large first converge on a sample of every `warmStride`-th row.
    static let warmStartRows = 200_000
    static let warmStride = 16

    static func fit(_ design: DesignMatrix) -> RawRegression {
        let p = design.parameterCount
        let n = design.nObservations
        let terms = design.terms
        guard n > p else { return LinearRegression.degenerate(design, "fewer rows than parameters") }
        var start = [Double](repeating: 0, count: p)
        // Warm start: Newton on a sixteenth of the rows lands within a fraction of a standard
        // error of the optimum at a sixteenth of the cost; from there the full data needs two
        // steps and a final pass instead of six or seven. The answer is the full-data optimum.
        if n >= warmStartRows, let warm = newton(design, from: start, stride: warmStride) {
            start = warm.beta
        }
        guard let fit = newton(design, from: start, stride: 1) else {
            return LinearRegression.degenerate(
                design,
                "the fit did not converge (the outcome may be perfectly predicted by a feature, or a feature is constant)"
            )
        }
        let (beta, system, logLikelihood) = (fit.beta, fit.system, fit.logLikelihood)
        let inverse = system.inverse()
        let standardErrors = (0..<p).map { inverse[$0 * p + $0].squareRoot() }
        let leverage = design.maximumLeverage(inverse: inverse, coefficients: beta) { eta in
            let mu = 1 / (1 + exp(-eta))
            return mu * (1 - mu)
        }
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

    /// Newton's method from `start` over every `stride`-th used row; nil when it does not
    /// converge to finite estimates (separation, a constant feature).
    static func newton(
        _ design: DesignMatrix, from start: [Double], stride: Int
    ) -> (beta: [Double], system: SymmetricSystem, logLikelihood: Double)? {
        let p = design.parameterCount
        var beta = start
        var previousDecrement = Double.infinity
        for _ in 0..<maximumIterations {
            // The log-likelihood is reported, not used to steer: computed only on a pass that is
            // likely the last, one after a step that left little to gain (quadratic convergence
            // squares what is left).
            let likelyLast = previousDecrement < 1e-5
            // Newton step: (XᵀWX) δ = Xᵀ(y − μ), with w = μ(1 − μ); the moment uses z = (y − μ)/w.
            let (gram, moment, logLikelihood) = design.normalEquations(coefficients: beta, stride: stride) { eta, y in
                let e = exp(-abs(eta))
                let mu = eta >= 0 ? 1 / (1 + e) : e / (1 + e)
                let w = mu * (1 - mu)
                // log L = y·η − log(1 + e^η), written to stay finite for large |η|; log(1 + e) errs
                // by at most one rounding of 1 + e (e ≤ 1), and costs far less than log1p.
                let logLikelihood = likelyLast ? y * eta - (max(eta, 0) + log(1 + e)) : 0
                return (w, w > 0 ? (y - mu) / w : 0, logLikelihood)
            }
            guard let system = SymmetricSystem(matrix: gram, size: p) else { return nil }
            let step = system.solve(moment)
            for i in 0..<p { beta[i] += step[i] }
            // The Newton decrement δᵀ∇ (twice the log-likelihood still to gain) bounds every
            // coefficient's step in units of its standard error, whatever the features' scales.
            // Under 1e-10, quadratic convergence leaves the estimate, with this last step, at the
            // optimum to working precision, and the information and log-likelihood of this pass
            // are those at the optimum to far better than their own rounding (the step is under
            // 1e-5 standard errors). The step must also have stopped moving the coefficients: under
            // separation the decrement fades while the estimates run off to infinity.
            let decrement = zip(step, moment).reduce(0) { $0 + $1.0 * $1.1 }
            let relativeStep = zip(step, beta).map { abs($0) / max(abs($1), 1) }.max() ?? 0
            guard decrement.isFinite else { return nil }
            if likelyLast && decrement < 1e-10 && relativeStep < 1e-6 {
                guard beta.allSatisfy({ $0.isFinite && abs($0) < 1e8 }) else { return nil }
                return (beta, system, logLikelihood)
            }
            previousDecrement = decrement
        }
        return nil
    }
}
