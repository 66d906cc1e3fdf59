import ModelgateTestSupport
import Testing

@testable import ModelgateEstimators

/// Reference values from scipy.stats (t.sf, norm.sf, beta.cdf).
@Suite struct DistributionsTests {
    @Test(arguments: [
        (2.1213203435596424, 3.0, 0.1240270626575546),
        (2.228138851986, 10.0, 0.050000000000023255),
        (3.5, 1_000_000.0, 0.00046527839368103494),
    ])
    func studentTwoSidedMatchesScipy(t: Double, df: Double, p: Double) {
        let value = Distributions.studentTwoSided(t, degreesOfFreedom: df)
        #expect(abs(value - p) / p < 1e-9)
        #expect(abs(Distributions.studentTwoSided(-t, degreesOfFreedom: df) - p) / p < 1e-9)
    }

    /// scipy: t.ppf(0.975, df).
    @Test(arguments: [(1.0, 12.706204736174698), (3.0, 3.182446305284263), (10.0, 2.2281388519649385)])
    func studentCriticalValuesMatchScipy(df: Double, t: Double) {
        #expect(abs(Distributions.studentCritical(twoSided: 0.05, degreesOfFreedom: df) - t) / t < 1e-9)
    }

    @Test func normalTwoSidedAtTheFamousQuantile() {
        #expect(abs(Distributions.normalTwoSided(1.959963984540054) - 0.05) < 1e-12)
    }

    @Test func incompleteBetaMatchesScipy() {
        #expect(abs(Distributions.regularizedIncompleteBeta(0.3, a: 2.5, b: 4.0) - 0.3521975859067672) < 1e-12)
        // I_x(1, 1) is the uniform distribution function.
        #expect(abs(Distributions.regularizedIncompleteBeta(0.42, a: 1, b: 1) - 0.42) < 1e-14)
    }
}
