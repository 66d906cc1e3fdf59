import Foundation
import ModelgateCore

/// Logistic regression by Newton–Raphson (equivalently IRLS), with standard errors from the
/// inverse information matrix and Wald z tests, as statsmodels' `Logit.fit()` reports them.
enum LogisticRegression {
    static let maximumIterations = 100

    static func fit(_ design: DesignMatrix) -> RawRegression {
        let p = design.parameterCount
        let n = design.nObservations
        let terms = design.terms
        guard n > p else { return LinearRegression.degenerate(terms, n: n, p: p, "fewer rows than parameters") }
        var beta = [Double](repeating: 0, count: p)
        var converged = false
        var logLikelihood = -Double.infinity
        var system: SymmetricSystem?
        for _ in 0..<maximumIterations {
            // Newton step: (XᵀWX) δ = Xᵀ(y − μ), with w = μ(1 − μ); the moment uses z = (y − μ)/w.
            let (gram, moment, ll) = design.normalEquations(coefficients: beta) { eta, y in
                let mu = 1 / (1 + exp(-eta))
                let w = mu * (1 - mu)
                // log L = y·η − log(1 + e^η), written to stay finite for large |η|.
                let logTerm = max(eta, 0) + log1p(exp(-abs(eta)))
                return (w, w > 0 ? (y - mu) / w : 0, y * eta - logTerm)
            }
            logLikelihood = ll
            guard let factored = SymmetricSystem(matrix: gram, size: p) else { break }
            system = factored
            if converged { break }
            let step = factored.solve(moment)
            for i in 0..<p { beta[i] += step[i] }
            let largest = zip(step, beta).map { abs($0) / max(abs($1), 1) }.max() ?? 0
            // Converged: one more pass refreshes the information matrix at the final estimate.
            if largest < 1e-10 { converged = true }
        }
        guard converged, let system, beta.allSatisfy({ $0.isFinite && abs($0) < 1e8 }) else {
            return LinearRegression.degenerate(
                terms, n: n, p: p,
                "the fit did not converge (the outcome may be perfectly predicted by a feature, or a feature is constant)")
        }
        let standardErrors = system.inverseDiagonal().map { $0.squareRoot() }
        let statistics = zip(beta, standardErrors).map { $0 / $1 }
        let finite = standardErrors.allSatisfy(\.isFinite)
        return RawRegression(
            terms: terms, estimates: beta, standardErrors: standardErrors, statistics: statistics,
            pValues: statistics.map(Distributions.normalTwoSided), nObservations: n, degreesOfFreedom: n - p,
            logLikelihood: logLikelihood, isWellDefined: finite,
            problem: finite ? nil : "the fit produced non-finite standard errors")
    }
}
