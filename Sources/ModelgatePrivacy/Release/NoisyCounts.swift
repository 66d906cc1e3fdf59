import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// Integer figures (counts, and sums in whole quanta) with discrete Laplace noise of scale Δ/ε
/// (Δ the figures' sensitivity): ε-differentially private when one row changes them by at most Δ
/// in total.
/// The noise is an integer drawn exactly; only its description (scale, 95 % half-width) is
/// computed in floating point, for people to read.
package struct NoisyCounts: Sendable {
    package let epsilon: MicroEpsilon
    package let sensitivity: Int64
    let law: DiscreteLaplace

    /// Noise for counts of sensitivity `sensitivity` at `epsilon` (> 0): scale Δ·10⁶/micros.
    package init(epsilon: MicroEpsilon, sensitivity: Int64) {
        precondition(epsilon > .zero && sensitivity > 0)
        self.epsilon = epsilon
        self.sensitivity = sensitivity
        law = DiscreteLaplace(scale: UInt64(sensitivity) * 1_000_000, over: UInt64(epsilon.micros))
    }

    /// Noise for figure `index` of a dp job: its sensitivity at the job's ε shared equally among
    /// its figures (scale Δ·k/ε for k figures), so that all of them together cost ε.
    package init(_ terms: PrivacyTerms, figure index: Int) {
        self.init(epsilon: terms.epsilon, sensitivity: terms.figures[index].sensitivity * terms.shares)
    }

    /// `count` plus fresh noise: unbiased, and so possibly below zero for a small count.
    func noisy(_ count: Int, using bits: inout some RandomNumberGenerator) -> Int {
        Int(noisy(Int64(count), using: &bits))
    }

    /// A sum in whole quanta plus fresh noise; saturating, so that no draw can trap (admission
    /// keeps scales far below where that could happen, ``PrivacyTerms/largestScale``).
    func noisy(_ sum: Int64, using bits: inout some RandomNumberGenerator) -> Int64 {
        let noise = law.draw(using: &bits)
        let (value, overflow) = sum.addingReportingOverflow(noise)
        return overflow ? (noise > 0 ? .max : .min) : value
    }

    /// The noise's scale b = Δ/ε: its standard deviation is about √2·b.
    package var scale: Double { Double(law.t) / Double(law.s) }

    /// The smallest h with P(|noise| ≤ h) ≥ 0.95: a released count is within h of the true
    /// one 95 times in 100. From P(|Y| > k) = 2q^(k+1)/(1+q), q = exp(−1/b).
    package var ci95: Int {
        let q = exp(-1 / scale)
        guard q > 0 else { return 0 }
        let k = (log(0.025 * (1 + q)) / log(q)).rounded(.up) - 1
        return max(0, Int(k))
    }
}
