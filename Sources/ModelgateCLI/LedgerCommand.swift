import ArgumentParser
import Foundation
import ModelgateBenchmarks
import ModelgateCore
import ModelgateGateway

struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Measure the release ledger that checks each result against all earlier ones.",
        subcommands: [Bench.self]
    )

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Time the release ledger as releases accumulate on one dataset.",
            discussion: """
                Builds the synthetic survey with --rows rows, then asks it a seeded stream of \
                questions (tables, summaries and histograms), estimated and checked in this process. \
                With --stream bands they are over ten-year age bands and standard bins, as the \
                researchers of one field ask them; with --stream varied over random age windows and \
                bin counts, which soon tell nearly every person apart (the ledger then refuses most \
                new fine-grained questions as ledger_saturated); with --stream fits as bands, with one \
                job in five a linear or logistic regression over the band (the ledger then follows \
                its sums weighted by age and household size). Each released result is judged by \
                the ledger as a job's would be, and each group refused for its values is entered as \
                a withheld one. For each stretch up to a milestone it prints the ledger's time per job \
                (median and 95th percentile) beside the job's own median (estimation and output \
                checks), the same two medians over the tables alone, how many results the ledger \
                refused, and its atoms and memory.
                """
        )

        @Option(help: "Rows of the synthetic survey.") var rows: Int = 100_000
        @Option(help: ArgumentHelp("Release counts to report at, comma-separated.", valueName: "list"))
        var milestones: String = "100,1000,10000"
        @Option(help: "Stop after this many jobs, released or not.") var maximumJobs: Int = 20_000
        @Option(help: "Seed of the question stream and of the order of complements.") var seed: UInt64 = 1
        @Option(
            help:
                "Kind of questions: bands (ten-year age bands), varied (random age windows) or fits (bands and regressions)."
        )
        var stream: LedgerBenchmark.Stream = .bands
        @Option(help: ArgumentHelp("The dataset's policy.", valueName: "file"))
        var policy: String = "policies/household-survey.yaml"

        func validate() throws {
            guard rows > 0, maximumJobs > 0 else { throw ValidationError("--rows and --maximum-jobs must be positive") }
            guard !parsedMilestones.isEmpty, parsedMilestones == parsedMilestones.sorted() else {
                throw ValidationError("--milestones must be increasing positive counts, such as 100,1000,10000")
            }
        }

        var parsedMilestones: [Int] {
            milestones.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                .filter { $0 > 0 }
        }

        func run() throws {
            func ms(_ seconds: Double) -> String { String(format: "%8.2f ms", seconds * 1000) }
            print(
                "rows \(rows), stream \(stream.rawValue); per job over each stretch (p95 also apart for the jobs the ledger released and refused)"
            )
            print(
                "releases     jobs  differencing  saturated     atoms      memory   ledger p50   ledger p95  p95 released   p95 refused      job p50   table: ledger p50      job p50"
            )
            _ = try LedgerBenchmark.run(
                rows: rows, milestones: parsedMilestones, maximumJobs: maximumJobs,
                policyText: try readText(policy, what: "policy"), seed: seed, stream: stream,
                progress: { s in
                    print(
                        String(
                            format: "%8d %8d %13d %10d %9d %8.1f MB", s.releases, s.jobs, s.differencing, s.saturated,
                            s.atoms, Double(s.memoryBytes) / 1e6)
                            + " \(ms(s.ledgerMedian))  \(ms(s.ledgerP95))   \(ms(s.releasedP95))   \(ms(s.refusedP95))  \(ms(s.jobMedian))"
                            + "         \(ms(s.crosstabLedgerMedian))  \(ms(s.crosstabJobMedian))"
                    )
                },
                ticker: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        }
    }
}

extension LedgerBenchmark.Stream: ExpressibleByArgument {}
