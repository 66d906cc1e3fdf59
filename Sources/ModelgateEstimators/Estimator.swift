import ModelgateCore

/// The built-in algorithm models: each a pure function from a plan and column data to a raw
/// result, so it can run in-process in tests and in a restricted worker in production.
public enum Estimator {
    /// Runs an admitted plan. Throws a ``Refusal`` only for data-dependent limits (e.g. a table
    /// with more cells than allowed); disclosure decisions are left to the output checker.
    public static func run(_ plan: Plan, on columns: ColumnSet) throws(Refusal) -> RawResult {
        for column in plan.columns where columns[column.name] == nil {
            throw Refusal(.unknownColumn, "column '\(column.name)' is in the policy but not in the ingested dataset")
        }
        let selection = RowSelection(plan: plan, columns: columns)
        let output: RawOutput
        switch plan.task {
        case .summary(let variables):
            output = .summary(variables.map { SummaryEstimator.summarize($0, columns[$0]!, selection) })
        case .crosstab(let table):
            output = .table(try CrosstabEstimator.tabulate(table, plan: plan, columns: columns, selection: selection))
        case .histogram(let histogram):
            output = .histogram(HistogramEstimator.count(histogram, columns[histogram.variable]!, selection))
        case .linearRegression(let regression):
            let design = try DesignMatrix(regression, plan: plan, columns: columns, selection: selection)
            output = .regression(LinearRegression.fit(design))
        case .logisticRegression(let regression):
            let design = try DesignMatrix(regression, plan: plan, columns: columns, selection: selection)
            output = .regression(LogisticRegression.fit(design))
        }
        return RawResult(
            rowsScanned: columns.rowCount, rowsUsed: selection.rowsUsed, rowsDropped: selection.rowsDropped,
            output: output)
    }
}
