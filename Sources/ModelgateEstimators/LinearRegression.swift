import ModelgateCore

/// Ordinary least squares by the normal equations, refined once with the residuals (which
/// recovers the accuracy a QR fit would give at a fraction of the passes), with classical
/// standard errors and t tests, as statsmodels' `OLS.fit()` reports them.
enum LinearRegression {
    static func fit(_ design: DesignMatrix) -> RawRegression {
        let p = design.parameterCount
        let n = design.nObservations
        let terms = design.terms
        let (gram, moment) = design.normalEquations(coefficients: nil, weigh)
        guard n > p, let system = SymmetricSystem(matrix: gram, size: p) else {
            return degenerate(
                design,
                n > p
                    ? "the features are collinear (a column is a combination of others)" : "fewer rows than parameters")
        }
        var beta = system.solve(moment)
        let meanY = moment[0] / Double(n)
        // One pass: residual moments Xᵀr for refinement, and the residual and total sums of squares.
        var residualMoment = [Double](repeating: 0, count: p)
        var rss = 0.0
        var tss = 0.0
        beta.withUnsafeBufferPointer { beta in
            residualMoment.withUnsafeMutableBufferPointer { residualMoment in
                design.forEachRow { indices, values, count, y in
                    var fitted = 0.0
                    for a in 0..<count { fitted += beta[Int(indices[a])] * values[a] }
                    let residual = y - fitted
                    rss += residual * residual
                    tss += (y - meanY) * (y - meanY)
                    for a in 0..<count { residualMoment[Int(indices[a])] += values[a] * residual }
                }
            }
        }
        let correction = system.solve(residualMoment)
        // RSS at β+δ = RSS − 2δᵀXᵀr + δᵀXᵀXδ, exactly, without another pass.
        var quadratic = 0.0
        for i in 0..<p {
            var row = 0.0
            for j in 0..<p { row += gram[i * p + j] * correction[j] }
            quadratic += correction[i] * row
        }
        let crossTerm = zip(correction, residualMoment).reduce(0) { $0 + $1.0 * $1.1 }
        rss = max(rss - 2 * crossTerm + quadratic, 0)
        for i in 0..<p { beta[i] += correction[i] }

        let inverse = system.inverse()
        let (leverage, _, _) = design.maximumLeverage(inverse: inverse, coefficients: beta, weigh)
        let df = n - p
        let sigma2 = rss / Double(df)
        let standardErrors = (0..<p).map { (inverse[$0 * p + $0] * sigma2).squareRoot() }
        let statistics = zip(beta, standardErrors).map { $0 / $1 }
        let pValues = statistics.map { Distributions.studentTwoSided($0, degreesOfFreedom: Double(df)) }
        let rSquared = tss > 0 ? 1 - rss / tss : .nan
        let adjusted = 1 - (1 - rSquared) * Double(n - 1) / Double(df)
        let finite = (beta + standardErrors + [rSquared]).allSatisfy(\.isFinite)
        return RawRegression(
            terms: terms, estimates: beta, standardErrors: standardErrors, statistics: statistics, pValues: pValues,
            nObservations: n, degreesOfFreedom: df,
            critical95: Distributions.studentCritical(twoSided: 0.05, degreesOfFreedom: Double(df)),
            rSquared: rSquared, adjustedRSquared: adjusted,
            smallestGroup: design.groups.smallest, hasEmptyGroup: design.groups.hasEmpty,
            groupContributions: design.groups.contributions, maximumLeverage: leverage,
            isWellDefined: finite, problem: finite ? nil : "the fit produced non-finite values")
    }

    /// Least squares' weights: w = 1 and w·z = y for every row; no log-likelihood.
    static func weigh(_ rows: WeighedRows, total: Bool) -> Double {
        for index in 0..<rows.padded {
            rows.w[index] = 1
            rows.wz[index] = rows.y[index]
        }
        return 0
    }

    static func degenerate(_ design: DesignMatrix, _ problem: String) -> RawRegression {
        let nan = [Double](repeating: .nan, count: design.parameterCount)
        return RawRegression(
            terms: design.terms, estimates: nan, standardErrors: nan, statistics: nan, pValues: nan,
            nObservations: design.nObservations, degreesOfFreedom: design.nObservations - design.parameterCount,
            smallestGroup: design.groups.smallest, hasEmptyGroup: design.groups.hasEmpty,
            groupContributions: design.groups.contributions, isWellDefined: false,
            problem: problem)
    }
}
