import Foundation
import ModelgateColumnar
import ModelgateCore
import ModelgateDisclosure
import ModelgateEstimators
import ModelgateGateway
import ModelgateParsing

/// What the release ledger costs as releases accumulate: a stream of varied jobs (tables,
/// summaries and histograms over random age windows, the kind of questions many researchers ask
/// of one survey) is estimated and checked in this process, and each released result is judged by
/// the ledger as the pipeline does. Printed per stretch of releases: the ledger's time per job
/// beside the job's own (estimation and output checks), the share of jobs it refused, its atoms
/// and its memory.
package enum LedgerBenchmark {
    /// The kind of questions asked.
    package enum Stream: String, Sendable, CaseIterable {
        /// Ten-year age bands and standard bin counts: the questions of one field, asked again and
        /// again by its researchers.
        case bands
        /// Random age windows and bin counts: nearly every question new.
        case varied
        /// As `bands`, with one job in five a linear or logistic regression over the band, whose
        /// sums weighted by age and household size the ledger follows.
        case fits
    }

    package struct Stretch: Sendable {
        /// Releases the ledger had judged when the stretch ended.
        package var releases: Int
        package var jobs: Int
        package var differencing: Int
        package var saturated: Int
        package var atoms: Int
        package var releasedSets: Int
        /// The ledger's own memory: 4 bytes a row, its sets' atom lists, its atom counts and the
        /// span it keeps between checks.
        package var memoryBytes: Int
        /// Per job in the stretch, seconds.
        package var ledgerMedian: Double
        package var ledgerP95: Double
        /// The slowest twentieth among the jobs the ledger let through, and among those it refused
        /// (`differencing` or `saturated`), seconds.
        package var releasedP95: Double
        package var refusedP95: Double
        package var jobMedian: Double
        /// Medians over the crosstabs alone (the ledger's time and the job's own), seconds: what a
        /// table job pays for the ledger.
        package var crosstabLedgerMedian: Double
        package var crosstabJobMedian: Double
    }

    /// Runs jobs until `milestones.last` results have been released (or `maximumJobs` tried),
    /// reporting each stretch up to a milestone.
    package static func run(
        rows: Int, milestones: [Int], maximumJobs: Int, policyText: String, seed: UInt64, stream: Stream = .bands,
        progress: (Stretch) -> Void = { _ in }, ticker: (String) -> Void = { _ in }
    ) throws -> [Stretch] {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelgate-ledger-bench-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: state) }
        let manifest = try DemoDataset.prepare(rows: rows, policyText: policyText, state: state)
        guard let dataset = try DatasetStore(state: state).open(manifest.id) else {
            throw ModelgateError("bench_failed", "the benchmark dataset did not open")
        }
        let columns = try dataset.columns(dataset.policy.columns.filter { $0.columnClass != .identifier }.map(\.name))
        var random = SplitMix64(seed: seed)
        // A secret drawn from the seed, not the dataset's own: the same seed withholds the same
        // cells and so splits the same atoms, run after run.
        let secret = (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let checker = OutputChecker(
            rules: dataset.policy.disclosure, order: ComplementOrder(secret: secret, context: dataset.versionContext))
        let threshold = dataset.policy.disclosure.threshold
        var ledger = ReleaseLedger(rowCount: rows)
        var labels = [UInt32](repeating: 0, count: rows)
        var stretches: [Stretch] = []
        var ledgerTimes: [Double] = []
        var releasedTimes: [Double] = []
        var refusedTimes: [Double] = []
        var jobTimes: [Double] = []
        var crosstabTimes: (ledger: [Double], job: [Double]) = ([], [])
        var (jobs, released, differencing, saturated) = (0, 0, 0, 0)
        var next = 0
        while next < milestones.count && jobs < maximumJobs {
            let text = "dataset: \(manifest.id)\n" + Self.spec(&random, stream)
            guard let plan = try? dataset.policy.admit(try ModelSpec(text: text)) else { continue }
            jobs += 1
            let started = ContinuousClock.now
            let raw = try labels.withUnsafeMutableBufferPointer {
                try Estimator.run(plan, on: columns, labels: $0.baseAddress!)
            }
            let checked = checker.check(raw)
            jobTimes.append((ContinuousClock.now - started).seconds)
            guard let meaning = raw.labels else { continue }
            // As the pipeline does: a released result's sets, or the groups of one refused for
            // its values, which are entered but not counted as a release.
            let sets: ReleasedRowSets
            switch checked {
            case .released(let output, _):
                sets = ReleasedRowSets(
                    raw, output, labels: meaning, rowsDropped: checker.releasable(count: raw.rowsDropped))
            case .refused(let refusal, _) where [.dominance, .groupDisclosure].contains(refusal.code):
                sets = ReleasedRowSets(refused: raw, labels: meaning)
            case .refused:
                continue
            }
            let judged = ContinuousClock.now
            let verdict: ReleaseLedger.Verdict
            var features: [String] = []
            switch (plan.task, checked) {
            case (.linearRegression(let task), .released), (.logisticRegression(let task), .released):
                features = task.features.filter { ["age", "household_size"].contains($0) }
            default: break
            }
            let weighting = ReleaseLedger.Weighting(features: features, threshold: threshold) { columns[$0] }
            let proposal = labels.withUnsafeBufferPointer {
                ledger.propose(
                    labels: $0, released: sets.released, protected: sets.protected,
                    reveals: plan.columns.map(\.name), withholds: plan.task.measures, weighting: weighting)
            }
            if var proposal {
                verdict = ledger.check(&proposal, threshold: threshold)
                if verdict == .safe && proposal.isNew { ledger.apply(proposal) }
            } else {
                verdict = .saturated
            }
            guard case .released = checked else { continue }
            ledgerTimes.append((ContinuousClock.now - judged).seconds)
            if plan.model == .crosstab {
                crosstabTimes.ledger.append(ledgerTimes.last!)
                crosstabTimes.job.append(jobTimes.last!)
            }
            if verdict == .safe {
                releasedTimes.append(ledgerTimes.last!)
            } else {
                refusedTimes.append(ledgerTimes.last!)
            }
            switch verdict {
            case .safe: released += 1
            case .disclosive: differencing += 1
            case .saturated: saturated += 1
            }
            if jobs % 50 == 0 {
                ticker(
                    "  \(jobs) jobs, \(released) released, \(ledger.atomCounts.count) atoms, last check "
                        + String(format: "%.1f ms", ledgerTimes.last! * 1000))
            }
            if released == milestones[next] || jobs == maximumJobs {
                let stretch = Stretch(
                    releases: released, jobs: jobs, differencing: differencing, saturated: saturated,
                    atoms: ledger.atomCounts.count, releasedSets: ledger.released.count,
                    memoryBytes: Self.memory(ledger), ledgerMedian: Self.quantile(ledgerTimes, 0.5),
                    ledgerP95: Self.quantile(ledgerTimes, 0.95), releasedP95: Self.quantile(releasedTimes, 0.95),
                    refusedP95: Self.quantile(refusedTimes, 0.95), jobMedian: Self.quantile(jobTimes, 0.5),
                    crosstabLedgerMedian: Self.quantile(crosstabTimes.ledger, 0.5),
                    crosstabJobMedian: Self.quantile(crosstabTimes.job, 0.5))
                stretches.append(stretch)
                progress(stretch)
                (ledgerTimes, releasedTimes, refusedTimes, jobTimes) = ([], [], [], [])
                crosstabTimes = ([], [])
                next += 1
            }
        }
        return stretches
    }

    /// A random question of the kind the demo survey invites.
    static func spec(_ random: inout SplitMix64, _ stream: Stream) -> String {
        let groups = ["district", "education", "sector", "sex", "household_size"]
        let (low, high): (Int, Int)
        switch stream {
        case .bands, .fits:
            low = 20 + 10 * random.next(below: 5)
            high = low + 10 * (1 + random.next(below: 2))
        case .varied:
            low = 18 + random.next(below: 50)
            high = low + 5 + random.next(below: 40)
        }
        let window =
            "where: [{ column: age, op: \">=\", value: \(low) }, { column: age, op: \"<\", value: \(high) }]"
        let bins = stream == .varied ? 5 + random.next(below: 16) : [10, 20][random.next(below: 2)]
        if stream == .fits && random.next(below: 5) == 0 {
            let (model, target) = random.next(below: 2) == 0 ? ("linear", "income") : ("logistic", "insured")
            return "model: \(model)_regression\ntarget: \(target)\nfeatures: [age, household_size, sex]\n\(window)"
        }
        switch random.next(below: 4) {
        case 0:
            let first = groups[random.next(below: groups.count)]
            let second = groups[random.next(below: groups.count)]
            let columns = first == second ? "" : "\ncolumns: [\(second)]"
            return "model: crosstab\nrows: [\(first)]\(columns)\n\(window)"
        case 1:
            let measure = ["income", "hospital_visits", "insured"][random.next(below: 3)]
            return
                "model: crosstab\nrows: [\(groups[random.next(below: 3)])]\nmeasure: \(measure)\nstatistic: mean\n\(window)"
        case 2:
            return "model: summary\nvariables: [income, hospital_visits]\n\(window)"
        default:
            let variable = ["age", "income"][random.next(below: 2)]
            return "model: histogram\nvariable: \(variable)\nbins: \(bins)\n\(window)"
        }
    }

    static func memory(_ ledger: ReleaseLedger) -> Int {
        ledger.atomOfRow.count * 4 + ledger.atomCounts.count * 8 + ledger.setBytes + ledger.spanBytes
    }

    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
}
