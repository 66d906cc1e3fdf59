/// What a worker computes for a job in privacy mode `dp` that releases more than counts: whole
/// numbers of quanta of clamped values (see ``FixedPoint``), summed exactly, to which the gateway
/// adds noise. Which figures a model has, in which order, is ``PrivacyTerms/figures``.
package struct RawSums: Sendable, Equatable, Codable {
    /// A table's dimensions over the declared levels (cells in row-major order, the last
    /// dimension fastest); empty for a summary or a regression, which have one cell.
    package var dimensions: [TableDimension]
    /// Each figure's value in every cell.
    package var figures: [[Int64]]

    package init(dimensions: [TableDimension], figures: [[Int64]]) {
        self.dimensions = dimensions
        self.figures = figures
    }
}
