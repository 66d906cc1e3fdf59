import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

extension PrivacyTerms {
    /// What a dp result (and a preview) says of its noise: each figure's share of ε, scale and
    /// 95 % half-width in the data's units.
    package var report: PrivacyReport {
        PrivacyReport(
            mechanism: Self.mechanism, epsilon: epsilon,
            figures: figures.indices.map { index in
                let figure = figures[index]
                let noise = NoisyCounts(self, figure: index)
                return PrivacyReport.Figure(
                    name: figure.name, epsilon: shares == 1 ? "\(epsilon)" : "\(epsilon)/\(shares)",
                    scale: Self.readable(noise.scale * figure.unit),
                    ci95: Self.readable(Double(noise.ci95) * figure.unit),
                    sensitivity: Self.readable(Double(figure.sensitivity) * figure.unit))
            }, unit: unit)
    }

    /// A figure in the data's units to 12 significant digits: the units are powers of ten that
    /// binary fractions only approximate, and 97,200 reads better than 97,200.00000000001.
    static func readable(_ value: Double) -> Double {
        guard value != 0, value.isFinite else { return value }
        // Scaled by an exact power of ten (10^k, |k| ≤ 22), so the division rounds correctly.
        let k = Int(11 - log10(abs(value)).rounded(.down))
        guard abs(k) <= 22 else { return value }
        let power = pow(10, Double(abs(k)))
        return k >= 0 ? (value * power).rounded() / power : (value / power).rounded() * power
    }
}
