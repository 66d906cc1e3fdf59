import ModelgateParsing
import ModelgateTestSupport
import Testing

@testable import ModelgateCore

@Suite struct AdmissionTests {
    func refusal(_ yaml: String, policy: Policy = Fixtures.policy) -> Refusal? {
        do {
            _ = try policy.admit(try ModelSpec(text: yaml))
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("model: summary\ndataset: other\nvariables: [income]", Refusal.Code.unknownDataset),
        ("model: crosstab\ndataset: survey\nrows: [person_id]", .columnNotAllowed),
        ("model: summary\ndataset: survey\nvariables: [person_id]", .columnNotAllowed),
        ("model: crosstab\ndataset: survey\nrows: [income]", .columnNotAllowed),
        (
            "model: crosstab\ndataset: survey\nrows: [district]\nwhere: [{column: income, op: '>', value: 90000}]",
            .columnNotAllowed
        ),
        ("model: crosstab\ndataset: survey\nrows: [insured]", .columnNotAllowed),
        ("model: crosstab\ndataset: survey\nrows: [distrikt]", .unknownColumn),
        ("model: summary\ndataset: survey\nvariables: [district]", .wrongColumnType),
        ("model: crosstab\ndataset: survey\nrows: [notes]", .wrongColumnType),
        ("model: logistic_regression\ndataset: survey\ntarget: income\nfeatures: [age]", .wrongColumnType),
        (
            "model: crosstab\ndataset: survey\nrows: [district]\nwhere: [{column: age, op: '>', value: old}]",
            .invalidFilter
        ),
        (
            "model: crosstab\ndataset: survey\nrows: [age]\nwhere: [{column: district, op: '<', value: N}]",
            .invalidFilter
        ),
        ("model: crosstab\ndataset: survey\nrows: [district, sector, age, insured]", .tooManyDimensions),
        (
            "model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [\(Array(repeating: "age", count: 21).joined(separator: ","))]",
            .tooManyFeatures
        ),
        ("model: histogram\ndataset: survey\nvariable: insured\nbins: 2", .binsNeedBounds),
    ])
    func refusesWithTheRightCode(spec: String, code: Refusal.Code) {
        let refusal = refusal(spec)
        #expect(refusal?.code == code, "\(refusal?.description ?? "admitted")")
        #expect(refusal?.message.isEmpty == false)
    }

    @Test func integerDimensionNeedsDeclaredBounds() {
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "rooms", columnClass: .ordinary, type: .integer))
        let refusal = refusal("model: crosstab\ndataset: survey\nrows: [rooms]", policy: policy)
        #expect(refusal?.code == .groupNeedsBounds)
    }

    @Test func aFilterOnALevelThePolicyDoesNotDeclareSaysThereIsNoSuchLevel() throws {
        var policy = Fixtures.policy
        policy.columns[policy.columns.firstIndex { $0.name == "district" }!].levels = ["north", "south"]
        let spec =
            "model: crosstab\ndataset: survey\nrows: [age]\nwhere: [{column: district, op: in, value: [north, nort]}]"
        let refused = try #require(refusal(spec, policy: policy))
        #expect(refused.code == .invalidFilter)
        #expect(
            refused.message.contains("'nort' is not a level of 'district' (no such level; its levels: north, south)"))
        // Without declared levels nothing is said: whether a value occurs is the data's to hide.
        #expect(refusal(spec) == nil)
    }

    @Test func anIntegerVariablesBinsHaveWholeNumberEdges() throws {
        func edges(_ spec: String) throws -> [Double] {
            guard case .histogram(let task) = try Fixtures.policy.admit(try ModelSpec(text: spec)).task else {
                return []
            }
            return task.edges ?? []
        }
        // Age 0–120 in 7 bins: 0, 17.1, 34.3, … rounded to whole years.
        #expect(
            try edges("model: histogram\ndataset: survey\nvariable: age\nbins: 7")
                == [0, 17, 34, 51, 69, 86, 103, 120])
        // No more bins than whole numbers.
        #expect(try edges("model: histogram\ndataset: survey\nvariable: age\nbins: 500").count == 121)
        // A number variable keeps exact fractions.
        #expect(try edges("model: histogram\ndataset: survey\nvariable: income\nbins: 3")[1] == 1_000_000.0 / 3)
    }

    @Test func sensitiveRefusalTellsWhatIsAllowedInstead() throws {
        let message = try #require(refusal("model: crosstab\ndataset: survey\nrows: [income]")).message
        #expect(message.contains("sensitive"))
        #expect(message.contains("quasi-identifier or ordinary"))
    }

    @Test func closedDatasetRefusesEveryJob() {
        var policy = Fixtures.policy
        policy.dataset.openAttribute = .closed
        #expect(refusal("model: summary\ndataset: survey\nvariables: [income]", policy: policy)?.code == .datasetClosed)
    }

    @Test func modelMustBeAllowedByThePolicy() {
        var policy = Fixtures.policy
        policy.models = [.summary]
        let refusal = refusal("model: crosstab\ndataset: survey\nrows: [district]", policy: policy)
        #expect(refusal?.code == .modelNotAllowed)
        #expect(refusal?.message.contains("allowed: summary") == true)
    }

    @Test func sensitiveColumnsMayBeMeasured() throws {
        let plan = try Fixtures.policy.admit(
            try ModelSpec(
                text:
                    "model: crosstab\ndataset: survey\nrows: [district]\nmeasure: income\nstatistic: mean\nwhere: [{column: age, op: '>=', value: 18}]"
            ))
        #expect(plan.columns.map(\.name) == ["district", "income", "age"])
        #expect(plan.filters == [PlannedFilter(column: "age", op: .greaterOrEqual, operand: .numbers([18]))])
    }

    @Test func histogramBinsComeFromThePolicyBoundsNotTheData() throws {
        let plan = try Fixtures.policy.admit(
            try ModelSpec(text: "model: histogram\ndataset: survey\nvariable: age\nbins: 4"))
        guard case .histogram(let histogram) = plan.task else { Issue.record("not a histogram"); return }
        #expect(histogram.edges == [0, 30, 60, 90, 120])
    }

    @Test func booleanFilterValuesAreTyped() throws {
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "urban", columnClass: .ordinary, type: .boolean))
        let plan = try policy.admit(
            try ModelSpec(
                text:
                    "model: summary\ndataset: survey\nvariables: [income]\nwhere: [{column: urban, op: '=', value: true}]"
            ))
        #expect(plan.filters.first?.operand == .numbers([1]))
    }
}
