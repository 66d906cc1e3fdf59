import Foundation
import Testing

@testable import ModelgateEstimators

/// The logit's vectorised eˣ against libm's, which is within one unit in the last place.
@Suite struct NegativeExponentialTests {
    /// Units in the last place between `value` and `reference`.
    func ulps(_ value: Double, _ reference: Double) -> Double {
        abs(value - reference) / reference.ulp
    }

    @Test func withinTwoUnitsInTheLastPlaceOfLibmOverItsWholeRange() {
        // Every 1/4096 from −708 to 0 (580,000 points, through every reduction interval), then
        // points near the ends and where the reduction switches integer.
        var points = stride(from: -708.0, through: 0, by: 1.0 / 4096).map { $0 }
        points += [-707.999_999, -0.346_573_590_279_972_6, -0.346_573_590_279_972_7, -1e-300, -5e-324, -0.0]
        points += (1...60).map { -Double($0) * log(2.0) }
        var worst = 0.0
        for start in Swift.stride(from: 0, to: points.count - 3, by: 4) {
            let x = SIMD4(points[start], points[start + 1], points[start + 2], points[start + 3])
            let value = NegativeExponential.of(x)
            for lane in 0..<4 { worst = max(worst, ulps(value[lane], exp(x[lane]))) }
        }
        #expect(worst <= 2, "worst \(worst) ulp")
    }

    @Test func theEndsAndNaN() {
        let value = NegativeExponential.of(SIMD4(0, -.infinity, -709, .nan))
        #expect(value[0] == 1)
        #expect(value[1] == 0)
        // e^−709 is about 1.2e−308, just below the smallest normal double: flushed to zero.
        #expect(value[2] == 0)
        #expect(value[3].isNaN)
    }
}

/// The rows a sample of every n-th block reads.
@Suite struct SampledBlocksTests {
    @Test func everyNthBlockFromTheFirstTheLastOnePartial() {
        let selection = RowSelection(rowCount: 1_000, mask: nil)
        #expect(Array(selection.sampledBlocks(1)) == [0..<1_000])
        #expect(Array(selection.sampledBlocks(2)) == [0..<256, 512..<768])
        let partial = RowSelection(rowCount: 1_100, mask: nil)
        #expect(Array(partial.sampledBlocks(2)) == [0..<256, 512..<768, 1_024..<1_100])
        #expect(Array(RowSelection(rowCount: 0, mask: nil).sampledBlocks(16)).isEmpty)
    }

    @Test func usedRowsOfTheSampledBlocksOnly() {
        // Every third row used.
        let mask = (0..<1_100).map { UInt8($0 % 3 == 0 ? 1 : 0) }
        let selection = RowSelection(rowCount: 1_100, mask: mask)
        var rows: [Int] = []
        selection.forEachUsedRow(sampling: 2) { rows.append($0) }
        let expected = ([0..<256, 512..<768, 1_024..<1_100] as [Range<Int>]).flatMap { $0 }.filter { $0 % 3 == 0 }
        #expect(rows == expected)
    }
}
