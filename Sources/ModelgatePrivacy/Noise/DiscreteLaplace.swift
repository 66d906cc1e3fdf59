/// The discrete Laplace distribution on the integers, P[y] ∝ exp(−|y|/b) for a rational scale
/// b = t/s, sampled
/// exactly: integers and Bernoulli trials only, no floating point anywhere on the way, so that
/// the low bits of a result cannot tell the true value (Mironov's attack on floating-point
/// Laplace noise, CCS 2012).
///
/// The algorithm is Canonne, Kamath and Steinke's ("The Discrete Gaussian for Differential
/// Privacy", NeurIPS 2020, Algorithms 1 and 2), as OpenDP also implements it. Written here
/// because no Swift library has it; each step is the paper's:
///  1. U uniform on {0, …, t−1}, kept with probability exp(−U/t);
///  2. V geometric: the number of successes of Bernoulli(exp(−1)) before the first failure;
///  3. X = U + t·V is geometric, P[X = x] ∝ exp(−x/t); Y = ⌊X/s⌋ has P[Y = y] ∝ exp(−y·s/t);
///  4. a fair sign; (−, 0) is rejected so that 0 is not counted twice.
package struct DiscreteLaplace: Sendable, Equatable {
    /// The scale b = t/s, in lowest terms (the paper's names).
    package let t: UInt64
    package let s: UInt64

    /// Noise of scale `numerator/denominator`; both positive.
    package init(scale numerator: UInt64, over denominator: UInt64) {
        precondition(numerator > 0 && denominator > 0, "a discrete Laplace scale is positive")
        let divisor = Self.gcd(numerator, denominator)
        t = numerator / divisor
        s = denominator / divisor
    }

    /// A draw from the operating system's random bits: the only way code outside this module
    /// draws noise, so that no seeded generator can reach a release (tests reach ``draw(using:)``
    /// through `@testable import`).
    package func sample(using bits: inout SystemRandomBits) -> Int64 { draw(using: &bits) }

    func draw(using bits: inout some RandomNumberGenerator) -> Int64 {
        while true {
            let u = Self.uniform(below: t, using: &bits)
            guard Self.bernoulliExp(u, t, using: &bits) else { continue }
            var v: UInt64 = 0
            while Self.bernoulliExp(1, 1, using: &bits) { v += 1 }
            // X = U + t·V in 128 bits: no overflow, whatever V came out.
            let x = UInt128(u) + UInt128(t) * UInt128(v)
            let y = x / UInt128(s)
            let negative = bits.next() & 1 == 1
            if negative && y == 0 { continue }
            // |Y| beyond Int64 has probability below exp(−2⁶³·t/s): not reached for any scale used.
            let magnitude = Int64(clamping: y)
            return negative ? -magnitude : magnitude
        }
    }

    /// A Bernoulli trial with probability exp(−n/d), n ≥ 0, d > 0 (Algorithm 1 of the paper,
    /// with γ > 1 split into whole steps of exp(−1)).
    static func bernoulliExp(_ n: UInt64, _ d: UInt64, using bits: inout some RandomNumberGenerator) -> Bool {
        var n = n
        while n > d {
            guard bernoulliExpAtMostOne(1, 1, using: &bits) else { return false }
            n -= d
        }
        return bernoulliExpAtMostOne(n, d, using: &bits)
    }

    /// exp(−γ) for γ = n/d in [0, 1]: K counts trials Bernoulli(γ/k), k = 1, 2, …, up to the
    /// first failure; the answer is whether K is odd. Bernoulli(γ/k) is drawn as Bernoulli(n/d)
    /// and Bernoulli(1/k) together, so no product can overflow.
    static func bernoulliExpAtMostOne(_ n: UInt64, _ d: UInt64, using bits: inout some RandomNumberGenerator)
        -> Bool
    {
        var k: UInt64 = 1
        while uniform(below: d, using: &bits) < n && uniform(below: k, using: &bits) == 0 { k += 1 }
        return k % 2 == 1
    }

    /// Uniform on {0, …, bound−1}, by rejection from the smallest power of two that holds it:
    /// exact, no modulo bias.
    static func uniform(below bound: UInt64, using bits: inout some RandomNumberGenerator) -> UInt64 {
        precondition(bound > 0)
        if bound == 1 { return 0 }
        let mask = UInt64.max >> (bound - 1).leadingZeroBitCount
        while true {
            let draw = bits.next() & mask
            if draw < bound { return draw }
        }
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
