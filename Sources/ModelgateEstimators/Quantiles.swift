/// Released quantiles of sorted values: the mean of the `window` order statistics nearest the
/// quantile, never a single person's value.
///
/// An order statistic is one person's value, and interpolating between two adjacent ones (Hyndman
/// & Fan type 7, the default of numpy, R and pandas) gives it away whenever the position is whole
/// (the median of an odd count) and ties the result to two people otherwise: medians of selections
/// that differ by a row then isolate that row. Averaging `window` order statistics makes each
/// released quantile a group statistic of `window` people, like a cell mean.
///
/// A window is one figure, and the selection's sum (its mean times n, released elsewhere) is
/// another: their difference is the sum over everyone outside the window, so that must be a group
/// too. A median (one window) is therefore released only from `2 · window` values, and the three
/// quartiles (three disjoint windows, whose complement is then at least `window` values) only
/// from `4 · window`.
///
/// The summary's quartiles and the median cells of a table both go through `of(sorted:_:)`.
enum Quantiles {
    /// How many order statistics a released quantile averages. It equals the default disclosure
    /// threshold, so each released quantile stands for at least a threshold's worth of people.
    static let window = 10
    /// Fewest values a released median is taken from.
    static let medianMinimum = 2 * window
    /// Fewest values released quartiles are taken from.
    static let quartilesMinimum = 4 * window

    /// The `q` quantile of `values`, sorted ascending: the mean of `window` consecutive order
    /// statistics; NaN when there are fewer than `window` values (never released: such a group
    /// is below the default threshold, and the output checker withholds non-finite values).
    static func of(sorted values: [Double], _ q: Double) -> Double {
        of(sorted: values[...], q)
    }

    /// The `q` quantile of a sorted slice; see `of(sorted:_:)`.
    static func of(sorted values: ArraySlice<Double>, _ q: Double) -> Double {
        let n = values.count
        guard n >= window else { return .nan }
        // The window x[lo..<lo + window] is centred on lo + (window − 1) / 2: pick the one whose
        // centre is nearest the type-7 position, a tie going to the higher window.
        let position = q * Double(n - 1)
        let nearest = (position - Double(window - 1) / 2).rounded(.toNearestOrAwayFromZero)
        let lo = min(max(Int(nearest), 0), n - window)
        let start = values.startIndex + lo
        return values[start..<start + window].reduce(0, +) / Double(window)
    }
}
