/// A spec as a result document carries it: the spec's own keys, with the defaults the gateway
/// applied written out (a table's statistic, a histogram's edges, the ε spent), so that a result
/// says exactly what was asked and can be asked again.
package struct SpecRecord: Sendable, Equatable, Codable {
    package var model: ModelKind
    package var dataset: String
    package var `where`: [Condition]?
    package var variables: [String]?
    package var rows: [String]?
    package var columns: [String]?
    package var measure: String?
    package var statistic: TableStatistic?
    package var variable: String?
    package var edges: [Double]?
    package var target: String?
    package var features: [String]?
    package var epsilon: String?
    package var clamp: [String: [Double]]?
    package var label: String?

    /// A filter as the spec writes it: one value, or a list for `in`.
    package struct Condition: Sendable, Equatable, Codable {
        package var column: String
        package var op: FilterOperator
        package var value: [String]
    }

    /// The record of `spec`; `plan` (once admitted) gives the histogram's edges, `epsilon` the ε
    /// a dp job spends.
    package init(_ spec: ModelSpec, plan: Plan? = nil, epsilon: MicroEpsilon? = nil) {
        model = spec.model
        dataset = spec.dataset
        `where` =
            spec.filters.isEmpty
            ? nil : spec.filters.map { Condition(column: $0.column, op: $0.op, value: $0.value.items) }
        switch plan?.task ?? spec.task {
        case .summary(let names): variables = names
        case .crosstab(let table):
            rows = table.rows
            columns = table.columns.isEmpty ? nil : table.columns
            measure = table.measure
            statistic = table.statistic
        case .histogram(let histogram):
            variable = histogram.variable
            edges = histogram.edges
        case .linearRegression(let regression), .logisticRegression(let regression):
            target = regression.target
            features = regression.features
        }
        self.epsilon = (epsilon ?? spec.epsilon).map { "\($0)" }
        clamp = spec.clamp.isEmpty ? nil : spec.clamp.mapValues { [$0.low, $0.high] }
        label = spec.label
    }
}
