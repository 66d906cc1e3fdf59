import ArgumentParser
import Foundation
import ModelgateBenchmarks

struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Differential privacy: the noise and its cost.",
        subcommands: [Bench.self]
    )

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Time exact discrete Laplace noise against floating-point Laplace noise.",
            discussion: """
                Draws --draws values of discrete Laplace noise per round at each scale, exactly \
                (Canonne, Kamath and Steinke's sampler: integers only, the operating system's random \
                bits), and as many floating-point Laplace values from the same bits (inverse CDF, the \
                textbook method whose low bits give the true value away), rounds interleaved. Prints \
                the medians in draws per second and their ratio.
                """
        )

        @Option(help: "Draws per round and scale.") var draws: Int = 1_000_000
        @Option(help: "Rounds per scale.") var rounds: Int = 5
        @Option(help: "Admissions of each kind (exact, and with an ε debit) to time in a fresh store; 0 skips.")
        var admissions: Int = 2000

        func validate() throws {
            guard draws > 0, rounds > 0, admissions >= 0 else {
                throw ValidationError("--draws and --rounds must be positive, --admissions at least 0")
            }
        }

        func run() throws {
            print("scale            exact draws/s    floating draws/s   exact / floating")
            // A count at ε = 1 and 0.1; a sum whose rows are clamped to 1,000 units at ε = 0.1
            // (sensitivity 1,000 over 0.1); a fine fixed-point sum (10⁶ units at ε = 0.05).
            let scales: [(UInt64, UInt64)] = [(1, 1), (10, 1), (10_000, 1), (20_000_000, 1)]
            for row in NoiseBenchmark.run(draws: draws, rounds: rounds, scales: scales) {
                let scale = "\(row.numerator)" + (row.denominator == 1 ? "" : "/\(row.denominator)")
                print(
                    scale.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + String(
                            format: "%17.0f %19.0f %18.2f", row.exactPerSecond, row.floatingPerSecond,
                            row.exactPerSecond / row.floatingPerSecond))
            }
            guard admissions > 0 else { return }
            let state = FileManager.default.temporaryDirectory.appendingPathComponent(
                "modelgate-bench-\(UUID().uuidString)", isDirectory: true)
            defer { try? FileManager.default.removeItem(at: state) }
            let (exact, debited) = try StoreBenchmark.admissionCost(state: state, count: admissions)
            print(
                String(
                    format:
                        "admission (median of %d each, interleaved): exact %.1f µs, with the ε debit %.1f µs (+%.1f µs)",
                    admissions, exact * 1e6, debited * 1e6, (debited - exact) * 1e6))
        }
    }
}
