import ModelgateTestSupport
import Testing

@testable import ModelgateCore

@Suite struct HistogramEstimatorTests {
    let ages = ColumnVector(integers: [0, 1, 2, 5, 9, 10, 11, -1, nil])

    @Test func explicitEdgesCountOutsideValuesAndCloseTheLastBin() throws {
        var policy = Fixtures.policy
        policy.columns[2].min = nil
        policy.columns[2].max = nil
        let raw = try estimate(
            "model: histogram\ndataset: survey\nvariable: age\nedges: [0, 5, 10]", ["age": ages], policy: policy)
        guard case .histogram(let histogram) = raw.output else { Issue.record("not a histogram"); return }
        // [0,5): 0 1 2; [5,10]: 5 9 10; below: -1; above: 11.
        #expect(histogram.counts == [3, 3])
        #expect(histogram.below == 1)
        #expect(histogram.above == 1)
        #expect(raw.rowsDropped == 1)
    }

    @Test func binsFromPolicyBoundsHaveNoOutside() throws {
        let column = ColumnVector(integers: [0, 29, 30, 59, 60, 119, 120])
        let raw = try estimate("model: histogram\ndataset: survey\nvariable: age\nbins: 4", ["age": column])
        guard case .histogram(let histogram) = raw.output else { return }
        #expect(histogram.edges == [0, 30, 60, 90, 120])
        #expect(histogram.counts == [2, 2, 1, 2])
        #expect(histogram.below == nil && histogram.above == nil)
    }
}
