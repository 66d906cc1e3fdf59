import ModelgateCore

/// The built-in algorithm models: each a pure function from a plan and column data to a raw
/// result, so it can run in-process in tests and in a restricted worker in production.
package enum Estimator {
    /// Runs an admitted plan. Throws a ``Refusal`` only for data-dependent limits (e.g. a table
    /// with more cells than allowed); disclosure decisions are left to the output checker.
    ///
    /// With `labels` (room for one `UInt32` per row), also writes each row's label for the release
    /// ledger, and says what the labels mean in the result's ``RawResult/labels``. A regression
    /// writes them before it fits, and then calls `labelled`, so that the ledger's work on them
    /// can start while the fit runs.
    package static func run(
        _ plan: Plan, on columns: ColumnSet, labels: UnsafeMutablePointer<UInt32>? = nil, labelled: () -> Void = {}
    ) throws(Refusal) -> RawResult {
        for column in plan.columns where columns[column.name] == nil {
            throw Refusal(.unknownColumn, "column '\(column.name)' is in the policy but not in the ingested dataset")
        }
        let selection = RowSelection(plan: plan, columns: columns)
        if plan.readsFixedPoint {
            // Privacy mode dp: sums for the gateway to noise; no row labels (no ledger in dp).
            return RawResult(
                rowsScanned: columns.rowCount, rowsUsed: selection.rowsUsed, rowsDropped: selection.rowsDropped,
                output: .sums(try FixedPointSums.compute(plan, columns: columns, selection: selection)))
        }
        let output: RawOutput
        var meaning: RowLabels?
        switch plan.task {
        case .summary(let variables):
            output = .summary(variables.map { SummaryEstimator.summarize($0, columns[$0]!, selection) })
            if let labels {
                // A summary reveals figures over its selection only.
                selection.writeLabels(into: labels) { _ in 0 }
                meaning = RowLabels(radices: [], revealed: [[]])
            }
        case .crosstab(let table):
            output = .table(
                try CrosstabEstimator.tabulate(
                    table, plan: plan, columns: columns, selection: selection, labels: labels))
            if labels != nil, case .table(let raw) = output {
                meaning = RowLabels(radices: raw.dimensions.map(\.levels.count))
            }
        case .histogram(let histogram):
            let raw = HistogramEstimator.count(
                histogram, columns[histogram.variable]!, selection, planned: plan.column(named: histogram.variable),
                labels: labels)
            output = .histogram(raw)
            if labels != nil { meaning = RowLabels(radices: [raw.counts.count + 2]) }
        case .linearRegression(let regression):
            let design = try DesignMatrix(regression, plan: plan, columns: columns, selection: selection)
            if let labels {
                meaning = try design.groups.label(selection, into: labels)
                labelled()
            }
            output = .regression(LinearRegression.fit(design))
        case .logisticRegression(let regression):
            let design = try DesignMatrix(regression, plan: plan, columns: columns, selection: selection)
            if let labels {
                meaning = try design.groups.label(selection, into: labels)
                labelled()
            }
            output = .regression(LogisticRegression.fit(design))
        }
        return RawResult(
            rowsScanned: columns.rowCount, rowsUsed: selection.rowsUsed, rowsDropped: selection.rowsDropped,
            output: output, labels: meaning)
    }
}
