/// Quantiles of sorted values by linear interpolation between order statistics
/// (Hyndman & Fan type 7, the default of numpy, R and pandas).
enum Quantiles {
    static func of(sorted values: [Double], _ q: Double) -> Double {
        of(sorted: values[...], q)
    }

    static func of(sorted values: ArraySlice<Double>, _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let position = q * Double(values.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, values.count - 1)
        let fraction = position - Double(lower)
        let start = values.startIndex
        return values[start + lower] + (values[start + upper] - values[start + lower]) * fraction
    }
}
