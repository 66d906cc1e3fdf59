/// How a result from a dataset in privacy mode `dp` was protected, for the researcher to read
/// its error and for the auditor to see what it cost.
package struct PrivacyReport: Sendable, Equatable, Codable {
    /// `dp`.
    package var mode: String
    /// `discrete_laplace`: integer noise, exact.
    package var mechanism: String
    /// What one person can change: `row` (replace-one neighbours: one row's values, the
    /// dataset's size being public), or the policy's unit, `household_id (at most 4 rows)`: all
    /// of one unit's rows, of which a job keeps at most that many.
    package var unit: String
    /// ε spent, as decimal text (exact).
    package var epsilon: String
    /// The first figure's noise scale and 95 % half-width (see ``figures``).
    package var scale: Double
    package var ci95: Double
    /// Each kind of figure released (a count, a sum, a sum of squares or of products), with its
    /// share of ε and its noise, in the data's own units. Means, standard deviations and
    /// coefficients are computed from these noisy figures.
    package var figures: [Figure]

    package struct Figure: Sendable, Equatable, Codable {
        /// `count`, `sum of income`, `sum of squares of income`, `sum of age × income`.
        package var name: String
        package var epsilon: String
        /// The noise's scale b = Δ/ε (its standard deviation is about 1.41·b) and the half-width
        /// within which each released value of this figure lies 95 times in 100.
        package var scale: Double
        package var ci95: Double
        /// What one row can change in it over all cells (its sensitivity), in the data's units.
        package var sensitivity: Double

        package init(name: String, epsilon: String, scale: Double, ci95: Double, sensitivity: Double) {
            self.name = name
            self.epsilon = epsilon
            self.scale = scale
            self.ci95 = ci95
            self.sensitivity = sensitivity
        }
    }

    package init(mechanism: String, epsilon: MicroEpsilon, figures: [Figure], unit: PrivacyUnit? = nil) {
        mode = "dp"
        self.mechanism = mechanism
        self.unit = unit.map { "\($0.column) (at most \($0.maxRows) rows)" } ?? "row"
        self.epsilon = "\(epsilon)"
        self.figures = figures
        scale = figures.first?.scale ?? 0
        ci95 = figures.first?.ci95 ?? 0
    }
}
