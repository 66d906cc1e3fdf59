import ModelgateCore
import ModelgateEstimators

/// A linear regression in privacy mode dp by noisy sufficient statistics: the count, the sums and
/// the sums of products of the clamped features and target get noise once, and the coefficients
/// are the least-squares solution of the noisy normal equations. No textbook standard errors
/// (they would treat the noisy figures as exact); instead each coefficient says how far the noise
/// alone moves it, 95 times in 100, by solving again with fresh noise of the same laws added to
/// the released figures (post-processing: it costs no ε).
package enum NoisyRegression {
    /// Solves drawn for each coefficient's noise error.
    static let replicas = 200

    /// The fit, or nil when the noisy cross-products are not positive definite (too much noise
    /// for the features' ranges, or a feature that is a combination of others); its noise drawn
    /// from the operating system's random bits.
    package static func fit(_ raw: RawSums, task: RegressionTask, terms: PrivacyTerms) -> ReleasedRegression? {
        var bits = SystemRandomBits()
        return fit(raw, task: task, terms: terms, using: &bits)
    }

    static func fit(
        _ raw: RawSums, task: RegressionTask, terms: PrivacyTerms, using bits: inout some RandomNumberGenerator
    ) -> ReleasedRegression? {
        let laws = terms.figures.indices.map { NoisyCounts(terms, figure: $0) }
        let noisy = laws.indices.map { laws[$0].noisy(raw.figures[$0].first ?? 0, using: &bits) }
        let units = terms.figures.map(\.unit)
        let features = task.features.count
        guard let estimates = solve(noisy, units: units, features: features) else { return nil }
        var errors = [[Double]](repeating: [], count: estimates.count)
        for _ in 0..<replicas {
            let again = laws.indices.map { laws[$0].noisy(noisy[$0], using: &bits) }
            guard let replica = solve(again, units: units, features: features) else { continue }
            for (index, value) in replica.enumerated() { errors[index].append(abs(value - estimates[index])) }
        }
        // Where more than one solve in twenty fails, the error has no 95 % bound to give.
        let bounded = errors[0].count * 20 >= replicas * 19
        let n = Int(max(noisy[0], 0))
        return ReleasedRegression(
            coefficients: ([DesignMatrix.intercept] + task.features).enumerated().map { index, term in
                let sorted = errors[index].sorted()
                let quantile = sorted.isEmpty ? nil : sorted[min(sorted.count - 1, sorted.count * 95 / 100)]
                return .init(term: term, estimate: estimates[index], noise95: bounded ? quantile : nil)
            }, nObservations: n, degreesOfFreedom: max(0, n - features - 1))
    }

    /// The normal equations from the figures in ``PrivacyTerms/figureKinds(of:)``'s order (the
    /// count; the sums of the features then the target; the products of each pair, features then
    /// target, upper triangle by rows), in the data's units, solved.
    static func solve(_ figures: [Int64], units: [Double], features p: Int) -> [Double]? {
        let variables = p + 1
        func value(_ index: Int) -> Double { Double(figures[index]) * units[index] }
        func sum(_ variable: Int) -> Double { value(1 + variable) }
        func product(_ a: Int, _ b: Int) -> Double {
            let (i, j) = (min(a, b), max(a, b))
            let row = (0..<i).reduce(0) { $0 + variables - $1 }
            return value(1 + variables + row + j - i)
        }
        let size = p + 1
        var matrix = [Double](repeating: 0, count: size * size)
        var right = [Double](repeating: 0, count: size)
        matrix[0] = Double(max(figures[0], 1))
        right[0] = sum(p)
        for k in 0..<p {
            matrix[k + 1] = sum(k)
            matrix[(k + 1) * size] = sum(k)
            right[k + 1] = product(k, p)
            for l in 0..<p { matrix[(k + 1) * size + l + 1] = product(k, l) }
        }
        return SymmetricSystem(matrix: matrix, size: size)?.solve(right)
    }
}
