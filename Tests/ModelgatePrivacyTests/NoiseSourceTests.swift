import ModelgateCore
import ModelgatePrivacy
import Testing

/// What code outside the privacy module can call (this file imports it without `@testable`):
/// releases that take no generator and draw their noise from the operating system, fresh each
/// time. A seeded generator reaches a release only through the internal functions, which only
/// `@testable` tests can call.
@Suite struct NoiseSourceTests {
    @Test func releasesDrawFreshNoiseFromTheSystemEachTime() {
        let raw = RawHistogram(
            variable: "age", edges: (0...200).map(Double.init), counts: [Int](repeating: 50, count: 200), below: nil,
            above: nil)
        let noise = NoisyCounts(epsilon: MicroEpsilon(text: "0.1")!, sensitivity: 2)
        let first = NoisyRelease.histogram(raw, noise: noise)
        let second = NoisyRelease.histogram(raw, noise: noise)
        // 200 bins of scale 20: the same noise twice by chance has probability far below 10⁻¹⁰⁰.
        #expect(first.bins.count == 200 && first != second)
        #expect(first.bins.contains { $0.count != 50 })
        var bits = SystemRandomBits()
        let law = DiscreteLaplace(scale: 20, over: 1)
        let draws = (0..<64).map { _ in law.sample(using: &bits) }
        #expect(Set(draws).count > 10)
    }
}
