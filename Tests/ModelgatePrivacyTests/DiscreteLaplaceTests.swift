import Foundation
import ModelgateCore
import Testing

@testable import ModelgatePrivacy

/// The exact sampler against the distribution's closed form, P[y] = (1 − q)/(1 + q)·q^|y| with
/// q = exp(−1/b) for the scale b: Pearson's χ² over 10⁶ seeded draws per scale (deterministic, so never flaky),
/// judged at the 1 − 10⁻⁶ quantile; and, as the positive control, the same draws judged against a
/// scale 5 % off must fail, so the test has the power to see a wrong sampler.
@Suite struct DiscreteLaplaceTests {
    static let draws = 1_000_000

    /// χ² of `counts` (by value) against the law of scale `scale`, over bins −K…K and two tails,
    /// K chosen so that every bin expects at least 20 draws; and its degrees of freedom.
    func chiSquared(_ counts: [Int64: Int], scale: Double) -> (Double, Int) {
        let q = exp(-1 / scale)
        let n = Double(counts.values.reduce(0, +))
        func p(_ y: Int64) -> Double { (1 - q) / (1 + q) * pow(q, Double(abs(y))) }
        var k: Int64 = 0
        while n * pow(q, Double(k + 2)) / (1 + q) >= 20 { k += 1 }
        var statistic = 0.0
        for y in -k...k {
            let expected = n * p(y)
            let observed = Double(counts[y] ?? 0)
            statistic += (observed - expected) * (observed - expected) / expected
        }
        let tail = n * pow(q, Double(k + 1)) / (1 + q)
        for side in [{ (y: Int64) in y > k }, { (y: Int64) in y < -k }] {
            let observed = Double(counts.filter { side($0.key) }.values.reduce(0, +))
            statistic += (observed - tail) * (observed - tail) / tail
        }
        return (statistic, Int(2 * k + 2))
    }

    /// The 1 − 10⁻⁶ quantile of χ² with `df` degrees of freedom (Wilson–Hilferty).
    func critical(_ df: Int) -> Double {
        let k = Double(df)
        let z = 4.753
        return k * pow(1 - 2 / (9 * k) + z * (2 / (9 * k)).squareRoot(), 3)
    }

    /// Scales numerator/denominator: 1, 1.5, a third, 10, 1.4.
    @Test(arguments: [(1, 1), (3, 2), (1, 3), (10, 1), (7, 5)] as [(UInt64, UInt64)])
    func drawsFollowTheLaw(numerator: UInt64, denominator: UInt64) {
        let law = DiscreteLaplace(scale: numerator, over: denominator)
        var bits = SplitMix64(seed: numerator * 1000 + denominator)
        var counts: [Int64: Int] = [:]
        for _ in 0..<Self.draws { counts[law.draw(using: &bits), default: 0] += 1 }
        let scale = Double(numerator) / Double(denominator)
        let (statistic, df) = chiSquared(counts, scale: scale)
        #expect(statistic < critical(df), "χ² \(statistic) on \(df) df for scale \(numerator)/\(denominator)")
        let (wrong, wrongDF) = chiSquared(counts, scale: scale * 1.05)
        #expect(wrong > critical(wrongDF), "a 5 % wrong scale passed: χ² \(wrong) on \(wrongDF) df")
        // Symmetric: the mean is 0 within five standard errors (variance 2q/(1 − q)²).
        let q = exp(-1 / scale)
        let mean = Double(counts.map { Int($0.key) * $0.value }.reduce(0, +)) / Double(Self.draws)
        #expect(abs(mean) < 5 * (2 * q).squareRoot() / (1 - q) / Double(Self.draws).squareRoot())
    }

    @Test func bernoulliTrialsHaveProbabilityExpMinusGamma() {
        var bits = SplitMix64(seed: 99)
        for (n, d) in [(0, 1), (1, 2), (1, 1), (5, 2), (7, 3)] as [(UInt64, UInt64)] {
            let trials = 400_000
            let hits = (0..<trials).filter { _ in DiscreteLaplace.bernoulliExp(n, d, using: &bits) }.count
            let p = exp(-Double(n) / Double(d))
            let error = 5 * (p * (1 - p) / Double(trials)).squareRoot() + 1e-12
            #expect(abs(Double(hits) / Double(trials) - p) <= error, "exp(-\(n)/\(d))")
        }
    }

    @Test func uniformDrawsHaveNoModuloBias() {
        var bits = SplitMix64(seed: 5)
        // 3 is where a draw by remainder from 2 bits would be biased (4 values onto 3).
        for bound in [1, 2, 3, 10, 1000] as [UInt64] {
            let trials = 300_000
            var counts = [Int](repeating: 0, count: Int(bound))
            for _ in 0..<trials { counts[Int(DiscreteLaplace.uniform(below: bound, using: &bits))] += 1 }
            let expected = Double(trials) / Double(bound)
            let statistic = counts.map { (Double($0) - expected) * (Double($0) - expected) / expected }.reduce(0, +)
            #expect(bound == 1 ? counts == [trials] : statistic < critical(Int(bound) - 1), "bound \(bound)")
        }
    }

    @Test func aScaleIsKeptInLowestTerms() {
        let law = DiscreteLaplace(scale: 6_000_000, over: 300_000)
        #expect(law == DiscreteLaplace(scale: 20, over: 1) && law.t == 20 && law.s == 1)
    }

    /// The operating system's bits: two sources disagree, and the bits are balanced.
    @Test func systemBitsAreFreshAndBalanced() {
        var first = SystemRandomBits()
        var second = SystemRandomBits()
        let a = (0..<2000).map { _ in first.next() }
        let b = (0..<2000).map { _ in second.next() }
        #expect(a != b && Set(a).count == a.count)
        let ones = a.map(\.nonzeroBitCount).reduce(0, +)
        // 128,000 fair bits: mean 64,000, standard deviation about 179.
        #expect(abs(ones - 64_000) < 5 * 179)
    }
}
