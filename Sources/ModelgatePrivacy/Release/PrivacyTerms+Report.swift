import ModelgateCore

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
                    scale: noise.scale * figure.unit, ci95: Double(noise.ci95) * figure.unit,
                    sensitivity: Double(figure.sensitivity) * figure.unit)
            }, unit: unit)
    }
}
