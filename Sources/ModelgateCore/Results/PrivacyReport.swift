/// How a result from a dataset in privacy mode `dp` was protected, for the researcher to read
/// its error and for the auditor to see what it cost.
package struct PrivacyReport: Sendable, Equatable, Codable {
    /// `dp`.
    package var mode: String
    /// `discrete_laplace`: integer noise, exact.
    package var mechanism: String
    /// What one person can change: `row` (replace-one neighbours: one row's values, the
    /// dataset's size being public).
    package var unit: String
    /// ε spent, as decimal text (exact).
    package var epsilon: String
    /// The noise's scale b = Δ/ε; its standard deviation is about 1.41·b.
    package var scale: Double
    /// Each released figure is within this of the exact one 95 times in 100.
    package var ci95: Double

    package init(mechanism: String, epsilon: MicroEpsilon, scale: Double, ci95: Double) {
        mode = "dp"
        self.mechanism = mechanism
        unit = "row"
        self.epsilon = "\(epsilon)"
        self.scale = scale
        self.ci95 = ci95
    }
}
