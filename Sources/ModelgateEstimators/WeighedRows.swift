/// A block of used rows as a regression's weighting sees them, up to ``capacity`` at a time so
/// that it can work on four rows at once: each row's linear predictor η and outcome y in, its
/// weight w and weighted response w·z out (1 and y for least squares; μ(1 − μ) and y − μ for a
/// Newton step of the logit).
///
/// Each buffer holds ``padded`` entries, a whole number of vectors of four. Entries past `count`
/// hold finite values that are no row's: what a weighting writes there is ignored, and a total
/// it returns must leave them out (``isRow(_:)``).
struct WeighedRows {
    static let capacity = 256

    let count: Int
    let eta: UnsafePointer<Double>
    let y: UnsafePointer<Double>
    let w: UnsafeMutablePointer<Double>
    let wz: UnsafeMutablePointer<Double>

    /// `count` rounded up to a multiple of eight (two vectors, for two accumulators).
    var padded: Int { Self.padded(count) }

    static func padded(_ count: Int) -> Int { (count + 7) & ~7 }

    /// Which of the four entries from `index` are rows.
    @inline(__always)
    func isRow(_ index: Int) -> SIMDMask<SIMD4<Int64>> {
        SIMD4<Int64>(Int64(index), Int64(index + 1), Int64(index + 2), Int64(index + 3)) .< Int64(count)
    }

    /// Sets the weights and weighted responses past `count` to zero, so that sums over `padded`
    /// entries are sums over the rows.
    func clearPadding() {
        for index in count..<padded {
            w[index] = 0
            wz[index] = 0
        }
    }
}

/// Fills the block's `w` and `wz`; with `total`, also returns the sum over its rows of the model's
/// log-likelihood (0 for a model that reports none).
typealias RowWeighting = (_ rows: WeighedRows, _ total: Bool) -> Double

extension UnsafePointer<Double> {
    /// The four values from `index`.
    @inline(__always)
    func vector(at index: Int) -> SIMD4<Double> {
        UnsafeRawPointer(self + index).loadUnaligned(as: SIMD4<Double>.self)
    }
}

extension UnsafeMutablePointer<Double> {
    /// The four values from `index`.
    @inline(__always)
    func vector(at index: Int) -> SIMD4<Double> {
        UnsafeRawPointer(self + index).loadUnaligned(as: SIMD4<Double>.self)
    }

    /// Writes four values from `index`.
    @inline(__always)
    func store(_ vector: SIMD4<Double>, at index: Int) {
        UnsafeMutableRawPointer(self + index).storeBytes(of: vector, as: SIMD4<Double>.self)
    }
}
