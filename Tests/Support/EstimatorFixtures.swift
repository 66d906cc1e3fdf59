import ModelgateCore
import ModelgateEstimators
import ModelgateParsing

/// Runs a spec through admission and an estimator on in-memory columns.
package func estimate(_ yaml: String, _ columns: [String: ColumnVector], policy: Policy = Fixtures.policy) throws
    -> RawResult
{
    let plan = try policy.admit(try ModelSpec(text: yaml))
    let rowCount = columns.values.first?.count ?? 0
    return try Estimator.run(plan, on: ColumnSet(rowCount: rowCount, columns: columns))
}

package func approximately(_ a: Double?, _ b: Double, relative: Double = 1e-9) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= relative * max(abs(b), 1e-300) || abs(a - b) < 1e-12
}
