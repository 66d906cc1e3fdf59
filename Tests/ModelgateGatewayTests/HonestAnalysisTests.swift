import Foundation
import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateGateway

/// The other side of the release ledger: an honest analysis of the kind a paper needs still gets
/// most of what it asks for.
@Suite struct HonestAnalysisTests {
    /// Twenty tables, summaries, histograms and regressions on the 100k-row demo survey.
    static let analysis = [
        "model: crosstab\nrows: [district]\ncolumns: [sex]",
        "model: crosstab\nrows: [education]\ncolumns: [sex]",
        "model: crosstab\nrows: [district]\nmeasure: income\nstatistic: mean",
        "model: crosstab\nrows: [education]\ncolumns: [sex]\nmeasure: income\nstatistic: mean",
        "model: crosstab\nrows: [sector]\ncolumns: [education]",
        "model: summary\nvariables: [income, hospital_visits]",
        "model: summary\nvariables: [income]\nwhere: [{ column: age, op: \">=\", value: 65 }]",
        "model: summary\nvariables: [income]\nwhere: [{ column: age, op: \"<\", value: 30 }]",
        "model: histogram\nvariable: age\nbins: 15",
        "model: histogram\nvariable: income\nbins: 20",
        "model: linear_regression\ntarget: income\nfeatures: [age, household_size, sex, education]",
        "model: logistic_regression\ntarget: insured\nfeatures: [age, household_size, sex, education]",
        "model: crosstab\nrows: [household_size]\ncolumns: [sex]",
        "model: crosstab\nrows: [sector]\nmeasure: income\nstatistic: mean",
        "model: crosstab\nrows: [education]\nmeasure: insured\nstatistic: mean",
        "model: summary\nvariables: [hospital_visits]\nwhere: [{ column: sex, op: \"=\", value: F }]",
        "model: summary\nvariables: [hospital_visits]\nwhere: [{ column: sex, op: \"=\", value: M }]",
        "model: linear_regression\ntarget: hospital_visits\nfeatures: [age, sex]",
        "model: crosstab\nrows: [district]\ncolumns: [education]",
        "model: histogram\nvariable: age\nbins: 15\nwhere: [{ column: sex, op: \"=\", value: F }]",
    ]

    @Test func mostOfARealisticAnalysisIsReleased() throws {
        let folder = try TemporaryFolder()
        let policy = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("policies/household-survey.yaml"),
            encoding: .utf8)
        _ = try DemoDataset.prepare(rows: 100_000, policyText: policy, state: folder.url)
        let pipeline = try JobPipeline(state: folder.url)
        var released = 0
        var refusals: [String] = []
        for spec in Self.analysis {
            let result = try pipeline.run(specText: "dataset: household-survey\n" + spec)
            if result.status == .released {
                released += 1
            } else {
                refusals.append(
                    "\(result.reason?.code.rawValue ?? "?"): \(spec.split(separator: "\n").joined(separator: "; "))")
            }
        }
        let share = Double(released) / Double(Self.analysis.count)
        print("honest analysis: \(released) of \(Self.analysis.count) released (\(Int(share * 100)) %)")
        for refusal in refusals { print("  refused \(refusal)") }
        #expect(Self.analysis.count == 20)
        #expect(share >= 0.75)
    }
}
