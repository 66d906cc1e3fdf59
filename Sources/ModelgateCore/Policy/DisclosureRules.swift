/// The output-checking rules of a dataset.
///
/// Defaults are those of the SACRO/ACRO output checker, so verdicts can be compared with it.
package struct DisclosureRules: Sendable, Equatable, Codable {
    /// Minimum number of rows behind a released cell, bin or statistic.
    package var threshold: Int = 10
    /// Whether a zero count is disclosive (it tells that nobody in a group has a property).
    package var zerosAreDisclosive: Bool = true
    /// N-K dominance: a cell is sensitive if its `n` largest contributions exceed `k` of its total.
    package var nkRule: NKRule = NKRule()
    /// p-ratio: a cell is sensitive if what remains after the two largest contributions is less
    /// than `pRatio` of the largest (the second-largest contributor could estimate the largest).
    package var pRatio: Double = 0.1
    /// Minimum residual degrees of freedom of a regression.
    package var minimumDegreesOfFreedom: Int = 10
    /// Maximum ratio of a regression's parameters to its rows.
    package var maxParameterRatio: Double = 0.33
    /// Maximum leverage of any row in a regression: the weight of a row's own value in its
    /// fitted value. Near 1, the coefficients give that row's value away. Beyond ACRO; the
    /// default lets no row weigh more than five rows' worth of an ordinary group mean.
    package var maxLeverage: Double = 0.2

    package init() {}

    package struct NKRule: Sendable, Equatable, Codable {
        package var n: Int = 2
        package var k: Double = 0.9
        package init(n: Int = 2, k: Double = 0.9) {
            self.n = n
            self.k = k
        }
    }
}
