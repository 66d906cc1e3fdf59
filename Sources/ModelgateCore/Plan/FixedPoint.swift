/// How a worker reads a measured column in privacy mode `dp`: each value rounded to a whole
/// number of quanta (a power of ten) and clamped to the policy's bounds, so that every sum the
/// gateway adds noise to is an exact integer and what one row can change in it is fixed by the
/// policy alone, never by the data (an outlier beyond the bounds counts as the bound).
///
/// Written by hand: the mechanism needs integers end to end (no library does this rounding).
package struct FixedPoint: Sendable, Equatable, Hashable, Codable {
    /// The quantum is 10^exponent.
    package var exponent: Int
    /// The policy's bounds in quanta: the lower rounded up, the upper down.
    package var low: Int64
    package var high: Int64

    /// Values are kept to at most this many quanta either side of zero: fine enough that the
    /// rounding is far below any noise, coarse enough that a product of two fits an `Int64`.
    package static let largestQuanta: Int64 = 1_000_000
    /// A product or square of two values is kept in units of their quanta's product times this,
    /// so that it too is at most 10⁹ and a sum of 10⁹ of them fits an `Int64`.
    package static let productDivisor: Int64 = 1000

    /// The fixed point for a column bounded by `min` ≤ `max`: the smallest power of ten that
    /// keeps max(|min|, |max|) within ``largestQuanta`` quanta.
    package init(min: Double, max: Double) {
        let largest = Swift.max(abs(min), abs(max))
        var exponent = -12
        while exponent < 300 && largest > Self.power(exponent) * Double(Self.largestQuanta) { exponent += 1 }
        self.exponent = exponent
        low = Self.whole(min, exponent, .up)
        high = Swift.max(low, Self.whole(max, exponent, .down))
    }

    package var quantum: Double { Self.power(exponent) }

    /// `value` as a whole number of quanta, rounded to the nearest (halves away from zero) and
    /// clamped to the bounds; a value that is not a number counts as the lower bound.
    @inline(__always)
    package func quanta(_ value: Double) -> Int64 {
        let scaled = (exponent <= 0 ? value * Self.power(-exponent) : value / Self.power(exponent))
            .rounded(.toNearestOrAwayFromZero)
        guard scaled >= Double(low) else { return low }
        guard scaled <= Double(high) else { return high }
        return Int64(scaled)
    }

    /// The product of two values in quanta, in units of ``productDivisor`` times their quanta's
    /// product, rounded to the nearest (halves away from zero): monotone in each factor's sign.
    @inline(__always)
    package static func product(_ a: Int64, _ b: Int64) -> Int64 {
        rounded(a * b)
    }

    /// `value` (a product) divided by ``productDivisor``, rounded to the nearest, halves away
    /// from zero; monotone, so the bounds of a product's range map to the bounds of this.
    @inline(__always)
    package static func rounded(_ value: Int64) -> Int64 {
        let half = productDivisor / 2
        return value >= 0 ? (value + half) / productDivisor : -((-value + half) / productDivisor)
    }

    /// 10^exponent, exact for |exponent| ≤ 22.
    static func power(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) { result *= 10 }
        return exponent >= 0 ? result : 1 / result
    }

    private static func whole(_ value: Double, _ exponent: Int, _ rule: FloatingPointRoundingRule) -> Int64 {
        let scaled = exponent <= 0 ? value * power(-exponent) : value / power(exponent)
        // Within ±largestQuanta by construction, up to the rounding of the division.
        return Int64(scaled.rounded(rule).clamped(-Double(largestQuanta), Double(largestQuanta)))
    }
}

extension Double {
    fileprivate func clamped(_ low: Double, _ high: Double) -> Double { Swift.min(Swift.max(self, low), high) }
}
