import Foundation
import ModelgateCore
import ModelgatePrivacy

#if canImport(Glibc)
    import Glibc
#endif

/// How fast exact discrete Laplace noise is drawn from the operating system's bits, beside the
/// textbook floating-point Laplace (inverse CDF, ln of a uniform double) from the same bits: the
/// cost of noise whose low bits cannot tell the true value. Rounds interleaved; medians.
package enum NoiseBenchmark {
    package struct Row: Sendable {
        /// The scale, as its numerator and denominator.
        package var numerator: UInt64
        package var denominator: UInt64
        package var exactPerSecond: Double
        package var floatingPerSecond: Double
    }

    package static func run(draws: Int, rounds: Int, scales: [(UInt64, UInt64)]) -> [Row] {
        scales.map { numerator, denominator in
            let law = DiscreteLaplace(scale: numerator, over: denominator)
            let scale = Double(numerator) / Double(denominator)
            var exact: [Double] = []
            var floating: [Double] = []
            var sink: Int64 = 0
            var sinkDouble = 0.0
            for _ in 0..<rounds {
                var bits = SystemRandomBits()
                var start = ContinuousClock.now
                for _ in 0..<draws { sink &+= law.sample(using: &bits) }
                exact.append(Double(draws) / (ContinuousClock.now - start).seconds)
                start = ContinuousClock.now
                for _ in 0..<draws {
                    let u = Double(bits.next() >> 11) * 0x1.0p-53 - 0.5
                    sinkDouble += -scale * (u < 0 ? -1 : 1) * log(max(1 - 2 * abs(u), .leastNonzeroMagnitude))
                }
                floating.append(Double(draws) / (ContinuousClock.now - start).seconds)
            }
            // Keep the draws observable so that the loops are not optimised away.
            if sink == .min && sinkDouble.isNaN { print("") }
            return Row(
                numerator: numerator, denominator: denominator, exactPerSecond: median(exact),
                floatingPerSecond: median(floating))
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
