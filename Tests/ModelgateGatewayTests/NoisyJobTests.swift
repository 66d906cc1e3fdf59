import Foundation
import ModelgateColumnar
import ModelgateSandbox
import ModelgateStore
import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateGateway
// Seeded noise for the attack measurements: the release functions that take a generator are
// internal to the privacy module.
@testable import ModelgatePrivacy

/// Jobs on a dataset in privacy mode dp (`policies/household-survey-dp.yaml`), through the whole
/// pipeline: noise of the declared scale over the declared shape, and ε debited at admission from
/// the agreement's allocation and the dataset's cap, refused when spent, given back only when no
/// worker read the data.
@Suite struct NoisyJobTests {
    static let rita = Principal(name: "rita", role: .researcher)
    static let rob = Principal(name: "rob", role: .researcher)
    static let olga = Principal(name: "olga", role: .owner, body: "statistics-bureau")
    static let table = "model: crosstab\ndataset: household-survey-dp\nrows: [district]\ncolumns: [sex]"

    /// The table over people of at least `16 + n` years: a different question for each `n`, since
    /// the same question is answered again at no cost.
    static func table(_ n: Int, epsilon: String? = nil) -> String {
        table + "\nwhere: [{ column: age, op: \">=\", value: \(16 + n) }]" + (epsilon.map { "\nepsilon: \($0)" } ?? "")
    }

    /// A dp dataset of `rows` rows with the given budgets, and agreements for Rita and Rob.
    func withDP(
        rows: Int = 3000, dataset: String = "10", agreement: String = "2", perJob: String = "0.5",
        _ body: (TemporaryFolder, JobPipeline) throws -> Void
    ) throws {
        let folder = try TemporaryFolder()
        let policy = try Fixtures.dpPolicy(dataset: dataset, agreement: agreement, perJob: perJob)
        _ = try DemoDataset.prepare(rows: rows, policyText: policy, state: folder.url)
        let pipeline = try JobPipeline(state: folder.url)
        let workflow = AccessWorkflow(catalog: Catalog(datasets: pipeline.datasets, store: pipeline.store))
        for researcher in [Self.rita, Self.rob] {
            let application = try workflow.apply(
                .init(
                    datasets: ["household-survey-dp"], models: [.crosstab, .histogram, .summary, .linearRegression],
                    purpose: "p", scenario: "s",
                    safeguards: "g", starts: "2020-01-01", ends: "2099-01-01"), by: researcher)
            _ = try workflow.decide(application.id, approve: true, dataset: nil, reason: nil, by: Self.olga)
        }
        try withExtendedLifetime(folder) { try body(folder, pipeline) }
    }

    /// The true counts of district × sex, read from the CSV the demo ingested, not by modelgate.
    func trueCounts(_ folder: TemporaryFolder) throws -> [String: Int] {
        let csv = try String(
            contentsOf: folder.url.appendingPathComponent("demo/household-survey-dp.csv"), encoding: .utf8)
        var counts: [String: Int] = [:]
        for line in csv.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            counts["\(fields[1])|\(fields[2])", default: 0] += 1
        }
        return counts
    }

    /// The survey of `rows` rows with each row's fields (the sector is the sixth) changed by
    /// `change` before ingest under the dp policy; no agreements.
    func dpSurvey(rows: Int, policy: String? = nil, _ change: (Int, inout [String]) -> Void) throws -> (
        TemporaryFolder, JobPipeline
    ) {
        let folder = try TemporaryFolder()
        let csv = folder.url.appendingPathComponent("survey.csv")
        try HouseholdSurvey.write(rows: rows, to: csv)
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        let changed =
            [String(lines[0])]
            + lines.dropFirst().enumerated().map { row, line in
                var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                change(row, &fields)
                return fields.joined(separator: ",")
            }
        try Data((changed.joined(separator: "\n") + "\n").utf8).write(to: csv)
        _ = try DatasetRegistration(state: folder.url, store: try SQLiteStore(state: folder.url)).ingest(
            policyText: try policy ?? Fixtures.dpPolicy(), csv: csv, progress: nil)
        return (folder, try JobPipeline(state: folder.url))
    }

    func run(_ pipeline: JobPipeline, _ spec: String, as who: Principal = rita) throws -> JobResult {
        try pipeline.run(specText: spec, principal: who.name, needsAgreement: true)
    }

    @Test func aTableShowsEveryDeclaredLevelWithNoiseOfTheDeclaredScale() throws {
        try withDP { folder, pipeline in
            let truth = try trueCounts(folder)
            let result = try run(pipeline, Self.table + "\nepsilon: 0.1")
            #expect(result.status == .released, "\(result.reason?.description ?? "")")
            guard case .table(let table) = result.result else {
                Issue.record("no table")
                return
            }
            // Every declared level, the two smallest districts' included, whatever the data holds.
            #expect(table.cells.count == 38 * 2 && table.dimensions[0].levels.count == 38)
            let privacy = try #require(result.privacy)
            #expect(privacy.epsilon == "0.1" && privacy.mechanism == "discrete_laplace" && privacy.unit == "row")
            // Replace-one neighbours, sensitivity 2: scale 2/ε = 20; P(|Y| > 60) = 2q⁶¹/(1+q) ≤ 0.05 <
            // 2q⁶⁰/(1+q) with q = exp(−0.05).
            #expect(abs(privacy.scale - 20) < 1e-12 && privacy.ci95 == 60)
            // The noise: integers, centred, of mean size E|Y| = 2q/((1+q)(1−q)) ≈ 20.0 (a 76-cell
            // mean has a standard error near 2.3), and not the true counts.
            var errors: [Double] = []
            for cell in table.cells {
                let value = try #require(cell.value)
                #expect(value == value.rounded())
                errors.append(value - Double(truth["\(cell.keys["district"]!)|\(cell.keys["sex"]!)"] ?? 0))
            }
            let q = exp(-0.05)
            let expected = 2 * q / ((1 + q) * (1 - q))
            let mean = errors.map(abs).reduce(0, +) / Double(errors.count)
            #expect(mean > 0.45 * expected && mean < 1.6 * expected, "mean |error| \(mean), expected \(expected)")
            #expect(errors.filter { $0 != 0 }.count > 60)
            // The grand total is the sum of the noisy cells; no usage figure leaves (the worker's
            // time and memory depend on the data), and the version is not the content hash.
            #expect(table.totals.last?.value == table.cells.compactMap(\.value).reduce(0, +))
            #expect(result.usage == nil && result.disclosure == nil)
            let manifest = try #require(try pipeline.datasets.open("household-survey-dp")).manifest
            #expect(result.dataset?.version != manifest.version && result.dataset?.version.count == 64)
        }
    }

    @Test func theBudgetIsDebitedAtAdmissionAndRefusedWhenSpent() throws {
        try withDP(dataset: "0.4", agreement: "0.3", perJob: "0.1") { folder, pipeline in
            for n in 0..<3 { #expect(try run(pipeline, Self.table(n)).status == .released) }
            let spent = try run(pipeline, Self.table(3))
            #expect(spent.status == .refused && spent.reason?.code == .privacyBudgetExhausted)
            #expect(spent.reason?.message.contains("agreement") == true, "\(spent.reason?.message ?? "")")
            // Rob's own allocation is untouched, but the dataset's cap has 0.1 left for everyone.
            #expect(try run(pipeline, Self.table(4, epsilon: "0.05"), as: Self.rob).status == .released)
            let capped = try run(pipeline, Self.table(5, epsilon: "0.1"), as: Self.rob)
            #expect(capped.reason?.code == .privacyBudgetExhausted)
            #expect(capped.reason?.message.contains("lifetime") == true, "\(capped.reason?.message ?? "")")
            #expect(try run(pipeline, Self.table(6, epsilon: "0.05"), as: Self.rob).status == .released)
            // Each debit is in its job's admission event, with what it has spent so far.
            var admitted: [[String: String]] = []
            try pipeline.store.forEachEvent(AuditFilter(kind: .jobAdmitted)) {
                admitted.append(
                    (try? JSONSerialization.jsonObject(with: Data($0.detail.utf8)) as? [String: Any])?
                        .compactMapValues { $0 as? String } ?? [:])
            }
            #expect(admitted.map { $0["datasetEpsilonSpent"] } == ["0.1", "0.2", "0.3", "0.35", "0.4"])
            #expect(admitted.map { $0["epsilon"] } == ["0.1", "0.1", "0.1", "0.05", "0.05"])
            // The usage report says what was spent, by agreement.
            let report = try pipeline.store.usageReport(.init(dataset: "household-survey-dp"))
            #expect(
                report.privacy?.map { "\($0.jobs) jobs, ε \($0.epsilon)" }.sorted() == [
                    "2 jobs, ε 0.1", "3 jobs, ε 0.3",
                ])
            withExtendedLifetime(folder) {}
        }
    }

    @Test func anEpsilonAboveTheJobMaximumIsRefusedBeforeAnythingIsSpent() throws {
        try withDP(perJob: "0.5") { _, pipeline in
            let greedy = try run(pipeline, Self.table + "\nepsilon: 0.6")
            #expect(greedy.reason?.code == .epsilonNotAllowed)
            let spread = try run(
                pipeline, "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nmeasure: age\nstatistic: std")
            #expect(spread.status == .refused && spread.reason?.code == .notAvailableInDP)
            // Neither spent anything: the whole allocation (2) is still there for one job per 0.5.
            for n in 0..<4 { #expect(try run(pipeline, Self.table(n, epsilon: "0.5")).status == .released) }
            #expect(try run(pipeline, Self.table(4, epsilon: "0.5")).reason?.code == .privacyBudgetExhausted)
        }
    }

    @Test func aJobWhoseWorkerNeverStartedGetsItsEpsilonBack() throws {
        try withDP(dataset: "0.2", agreement: "0.2", perJob: "0.1") { (folder, pipeline) throws in
            let broken = JobPipeline(
                state: folder.url, store: pipeline.store, worker: Worker(executable: "/nonexistent/modelgate-worker"))
            #expect(throws: (any Error).self) { try run(broken, Self.table) }
            #expect(throws: (any Error).self) { try run(broken, Self.table) }
            // Both were given back: the whole allocation is still there.
            let first = try run(pipeline, Self.table(0))
            #expect(first.status == .released, "\(first.reason?.description ?? "")")
            #expect(try run(pipeline, Self.table(1)).status == .released)
            #expect(try run(pipeline, Self.table(2)).reason?.code == .privacyBudgetExhausted)
        }
    }

    /// A worker that started and then failed may have read the data: its ε stays spent.
    @Test func aJobWhoseWorkerRanAndFailedKeepsItsEpsilonSpent() throws {
        try withDP(dataset: "0.2", agreement: "0.2", perJob: "0.1") { (folder, pipeline) throws in
            let crashing = try folder.executable("crashing-worker", "#!/bin/sh\nexit 0\n")
            let broken = JobPipeline(
                state: folder.url, store: pipeline.store, worker: Worker(executable: crashing.path))
            for n in 0..<2 {
                // One fixed failure, without figures: how a worker failed may depend on the data.
                let failed = try run(broken, Self.table(n))
                #expect(failed.status == .failed && failed.usage == nil && failed.reason?.code == .crashed)
                #expect(failed.reason?.message.contains("not shown") == true)
            }
            #expect(try run(pipeline, Self.table(2)).reason?.code == .privacyBudgetExhausted)
        }
    }

    /// A category with no value in the data at all: in exact mode the worker refuses (no levels);
    /// in dp mode that refusal would tell whether one person's value is there, and the worker
    /// tabulates over the declared levels instead, so the table comes back, all noise around zero.
    @Test func aDimensionTheDataNeverFillsIsNoisedZerosNotARefusal() throws {
        // Every sector blank.
        let (folder, pipeline) = try dpSurvey(rows: 200) { _, fields in fields[5] = "" }
        defer { withExtendedLifetime(folder) {} }
        let result = try pipeline.run(
            specText: "model: crosstab\ndataset: household-survey-dp\nrows: [sector]\nepsilon: 0.5")
        #expect(result.status == .released, "\(result.reason?.description ?? "")")
        guard case .table(let table) = result.result else { return }
        #expect(table.cells.count == 10 && table.cells.allSatisfy { $0.value != nil })
        // Around zero: at ε 0.5 (scale 4) the 95 % half-width is 12.
        #expect(result.privacy?.ci95 == 12 && table.cells.filter { abs($0.value!) > 12 }.count <= 3)
    }

    /// The preview says what a job costs before anything is spent, and starts no worker.
    @Test func thePreviewShowsTheCostAndTheBudgetsAndSpendsNothing() throws {
        try withDP(dataset: "0.4", agreement: "0.3", perJob: "0.1") { (folder, pipeline) throws in
            // A pipeline with no worker at all: a preview never needs one.
            let noWorker = JobPipeline(
                state: folder.url, store: pipeline.store, worker: Worker(executable: "/nonexistent/modelgate-worker"))
            for _ in 0..<5 {
                let preview = try noWorker.preview(specText: Self.table, principal: "rita", needsAgreement: true)
                #expect(preview.status == "ok" && preview.mode == "dp" && preview.epsilon == "0.1")
                #expect(preview.scale == 20 && preview.ci95 == 60)
                #expect(preview.budgets?.map(\.scope) == ["agreement", "dataset"])
                #expect(preview.budgets?.map(\.leftAfter) == ["0.2", "0.3"] && preview.moreLikeThis == 2)
            }
            for n in 0..<3 { #expect(try run(pipeline, Self.table(n)).status == .released) }
            let after = try noWorker.preview(specText: Self.table(3), principal: "rita", needsAgreement: true)
            #expect(after.status == "refused" && after.reason?.code == .privacyBudgetExhausted)
            #expect(after.budgets?.first?.spent == "0.3" && after.budgets?.first?.leftAfter == "not enough")
            // Rob has his own allocation; the dataset's cap leaves him exactly one more.
            let rob = try noWorker.preview(specText: Self.table, principal: "rob", needsAgreement: true)
            #expect(rob.status == "ok" && rob.moreLikeThis == 0 && rob.budgets?.last?.leftAfter == "0")
            // Without an agreement, the refusal the job would meet.
            let stranger = try noWorker.preview(specText: Self.table, principal: "sam", needsAgreement: true)
            #expect(stranger.status == "refused" && stranger.reason?.code == .noAgreement)
        }
    }

    /// The same question on the same version gets the same noisy answer at no cost: a fresh draw
    /// would spend ε again and, averaged with the first, tell more.
    @Test func anIdenticalSpecRepeatsTheFirstNoisyAnswerAtNoCost() throws {
        try withDP(dataset: "10", agreement: "2", perJob: "0.5") { folder, pipeline in
            let first = try run(pipeline, Self.table + "\nepsilon: 0.5")
            #expect(first.status == .released && first.repeatOf == nil)
            let spent = try pipeline.store.privacyAccount(dataset: "household-survey-dp").spent
            // The same question written differently (keys reordered, the default epsilon named), by
            // another researcher: the same answer, nothing spent.
            let same = "epsilon: 0.5\ncolumns: [sex]\nrows: [district]\nmodel: crosstab\ndataset: household-survey-dp"
            let again = try run(pipeline, same, as: Self.rob)
            #expect(again.status == .released && again.repeatOf == first.job && again.job != first.job)
            #expect(again.result == first.result && again.privacy == first.privacy)
            #expect(try pipeline.store.privacyAccount(dataset: "household-survey-dp").spent == spent)
            // Another epsilon is another question: a fresh draw, paid for.
            let other = try run(pipeline, Self.table + "\nepsilon: 0.25")
            #expect(other.repeatOf == nil && other.status == .released)
            #expect(
                try pipeline.store.privacyAccount(dataset: "household-survey-dp").spent[""]
                    == MicroEpsilon(text: "0.75"))
            withExtendedLifetime(folder) {}
        }
    }

    /// The tracker of the ledger's tests, against a dp dataset: the count of a district by sex,
    /// minus the same count without one person's age, gives that person's sex exactly on an exact
    /// dataset. Here each count carries noise, so the attacker's estimate is off by the difference
    /// of two discrete Laplace draws (variance 2·2q/(1−q)²), and no test on it tells the person's
    /// presence with a likelihood ratio above e^ε (only the first count holds the person). Run
    /// once for real through the pipeline, then 20,000 times on the same exact counts (read from
    /// the CSV) with seeded noise through the same release code, to measure.
    @Test func theTrackerOnADPDatasetLearnsNoMoreThanEpsilonAllows() throws {
        try withDP(dataset: "10", agreement: "2", perJob: "0.5") { folder, pipeline in
            // A person alone with their age in their district.
            let csv = try String(
                contentsOf: folder.url.appendingPathComponent("demo/household-survey-dp.csv"), encoding: .utf8)
            let rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
            let groups = Dictionary(grouping: rows) { "\($0[1])|\($0[3])" }
            let target = try #require(groups.values.first { $0.count == 1 }?.first)
            let (district, sex, age) = (target[1], target[2], target[3])
            func truth(excludingAge: Bool) -> [Int] {
                ["F", "M"].map { s in
                    rows.filter { $0[1] == district && $0[2] == s && (!excludingAge || $0[3] != age) }.count
                }
            }
            let (all, rest) = (truth(excludingAge: false), truth(excludingAge: true))
            #expect(zip(all, rest).map(-) == (sex == "F" ? [1, 0] : [0, 1]))

            // Once for real: both questions are answered, with noise.
            let base =
                "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nepsilon: 0.5\nwhere:\n"
                + "  - { column: district, op: \"=\", value: \"\(district)\" }\n"
            let first = try run(pipeline, base)
            let second = try run(pipeline, base + "  - { column: age, op: \"!=\", value: \(age) }\n")
            #expect(first.status == .released && second.status == .released)
            #expect(first.privacy?.scale == 4 && second.privacy?.scale == 4)

            // 20,000 times, measured.
            let noise = NoisyCounts(epsilon: MicroEpsilon(text: "0.5")!, sensitivity: 1)
            let dimension = [TableDimension(name: "sex", levels: ["F", "M"])]
            func raw(_ counts: [Int]) -> RawTable {
                RawTable(
                    dimensions: dimension, measure: nil, statistic: .count,
                    cells: counts.map { RawCell(count: $0, sum: 0, sumOfSquares: 0, value: nil, contributions: nil) })
            }
            let cell = sex == "F" ? 0 : 1
            var absentWorld = all
            absentWorld[cell] -= 1
            var bits = SplitMix64(seed: 2026)
            let runs = 20_000
            var errors: [Double] = []
            var saidPresent = (present: 0, absent: 0)
            for _ in 0..<runs {
                for (world, isPresent) in [(all, true), (absentWorld, false)] {
                    let a = NoisyRelease.table(raw(world), over: dimension, noise: noise, using: &bits)
                    let b = NoisyRelease.table(raw(rest), over: dimension, noise: noise, using: &bits)
                    let estimate = a.cells[cell].value! - b.cells[cell].value!
                    if isPresent {
                        errors.append(estimate - 1)
                        if estimate >= 1 { saidPresent.present += 1 }
                    } else if estimate >= 1 {
                        saidPresent.absent += 1
                    }
                }
            }
            let q = exp(-1 / noise.scale)
            let variance = 2 * (2 * q / ((1 - q) * (1 - q)))
            let mean = errors.reduce(0, +) / Double(runs)
            let measured = errors.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(runs - 1)
            #expect(abs(mean) < 5 * (variance / Double(runs)).squareRoot(), "mean error \(mean)")
            #expect(abs(measured / variance - 1) < 0.06, "variance \(measured), declared \(variance)")
            // The attacker's test "estimate ≥ 1": its hit rate over its false-alarm rate is at most
            // e^ε = 1.65 (both rates near 0.5 here, each known to about ±0.007).
            let ratio = Double(saidPresent.present) / Double(saidPresent.absent)
            #expect(ratio <= exp(0.5) * 1.05, "likelihood ratio \(ratio)")
            #expect(Double(saidPresent.present) / Double(runs) < 0.75)
        }
    }

    /// The noise is the operating system's, fresh for each job: not a function of the data, the
    /// spec or the state that a seed could be taken from. Two gateways with the same rows, the same
    /// policy and the same question give different noise (76 cells alike by chance: below 10⁻⁵⁰).
    @Test func theNoiseIsNotAFunctionOfTheDataTheSpecOrTheState() throws {
        var answers: [ReleasedOutput?] = []
        for _ in 0..<2 {
            try withDP { _, pipeline in answers.append(try run(pipeline, Self.table).result) }
        }
        #expect(answers.count == 2 && answers[0] != nil && answers[0] != answers[1])
    }

    /// An owner's dry run and the command line's own jobs spend the dataset's cap too: otherwise
    /// they would be unbudgeted answers, and a researcher asking the same question would get one
    /// free.
    @Test func ownersAndTheCommandLineSpendTheDatasetsCapToo() throws {
        try withDP(dataset: "0.3", agreement: "0.3", perJob: "0.1") { folder, pipeline in
            #expect(try pipeline.run(specText: Self.table(0), principal: "olga").status == .released)
            #expect(try pipeline.run(specText: Self.table(1)).status == .released)
            let spent = try pipeline.store.privacyAccount(dataset: "household-survey-dp").spent
            #expect(spent[""] == MicroEpsilon(text: "0.2") && spent.count == 1)
            // Rita's allocation is untouched, but only 0.1 of the dataset's cap is left.
            #expect(try run(pipeline, Self.table(2)).status == .released)
            #expect(try run(pipeline, Self.table(3)).reason?.code == .privacyBudgetExhausted)
            // The operator's question asked again by Rita: its paid answer, at no cost.
            let repeated = try run(pipeline, Self.table(1))
            #expect(repeated.status == .released && repeated.repeatOf != nil)
            withExtendedLifetime(folder) {}
        }
    }

    /// A reload cannot change a dataset's protection, its budget, or the bounds and levels its
    /// rows were checked against at ingest: each needs a new ingest.
    @Test func aReloadChangesNeitherTheProtectionNorTheBounds() throws {
        try withDP(dataset: "10", agreement: "2", perJob: "0.5") { folder, pipeline in
            let policies = folder.url.appendingPathComponent("policies")
            try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
            let dp = try Fixtures.dpPolicy(dataset: "10", agreement: "2", perJob: "0.5")
            for (name, text) in [
                ("raised.yaml", dp.replacingOccurrences(of: "datasetEpsilon: 10", with: "datasetEpsilon: 100")),
                (
                    "exact.yaml",
                    dp.replacingOccurrences(of: "mode: dp", with: "mode: exact")
                        .replacingOccurrences(
                            of: ", datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5, epsilonPerJob: 0.1",
                            with: "")
                ),
                ("bounds.yaml", dp.replacingOccurrences(of: "min: 16, max: 90", with: "min: 30, max: 90")),
            ] {
                let file = policies.appendingPathComponent(name)
                try Data(text.utf8).write(to: file)
                let outcome = try PolicyReload(state: folder.url, store: pipeline.store).load(
                    from: policies, by: "adam")
                #expect(
                    outcome.problems.count == 1 && outcome.problems[0].hasPrefix(name), "\(name): \(outcome.problems)")
                try FileManager.default.removeItem(at: file)
            }
            #expect(
                try pipeline.datasets.open("household-survey-dp")?.policy.privacy.datasetEpsilon
                    == MicroEpsilon(text: "10"))
        }
    }

    /// The worker tabulates over the declared levels, not the data's: 2,000 people with a sector
    /// the policy does not declare (each a different one) would make the data's table of sector ×
    /// age 2,010 × 75 cells, past the limit, and its refusal would depend on the data. Over the
    /// declared levels it is 10 × 75 cells, and those people are in none.
    @Test func undeclaredValuesAreInNoCellAndCannotChangeTheTablesShape() throws {
        let (folder, pipeline) = try dpSurvey(rows: 3000) { row, fields in
            if row < 2000 { fields[5] = "undeclared\(row)" }
        }
        defer { withExtendedLifetime(folder) {} }
        let declared = 1000
        let result = try pipeline.run(
            specText: "model: crosstab\ndataset: household-survey-dp\nrows: [sector]\ncolumns: [age]\nepsilon: 0.5")
        #expect(result.status == .released, "\(result.reason?.description ?? "")")
        guard case .table(let table) = result.result else { return }
        #expect(table.cells.count == 10 * 75)
        // The noisy total is the 1,000 declared rows give or take the noise of 750 cells (scale
        // 4, standard deviation of the sum about √750·4·1.41 ≈ 155): five of those either way.
        let total = try #require(table.totals.last?.value)
        #expect(abs(total - Double(declared)) < 5 * 155, "total \(total) for \(declared) declared rows")
    }
}

/// Sums, means, summaries and regressions in privacy mode dp: the worker's exact sums of
/// clamped values with noise of the scale the bounds give, checked against the CSV's own values.
extension NoisyJobTests {
    /// Each row's fields by column name, from the CSV the demo ingested.
    func csvRows(_ folder: TemporaryFolder) throws -> [[String: String]] {
        let csv = try String(
            contentsOf: folder.url.appendingPathComponent("demo/household-survey-dp.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        let names = lines[0].split(separator: ",").map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(
                uniqueKeysWithValues: zip(
                    names, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    /// E|Y| of discrete Laplace noise of scale `b` quanta, in units of `unit`: 2q/((1+q)(1−q)),
    /// q = exp(−1/b).
    func meanAbsoluteNoise(scale b: Double, unit: Double) -> Double {
        let q = exp(-1 / b)
        return 2 * q / ((1 + q) * (1 - q)) * unit
    }

    @Test func aTableOfSumsHasNoiseScaledToTheMeasuresBounds() throws {
        try withDP { folder, pipeline in
            var truth: [String: Double] = [:]
            for row in try csvRows(folder) {
                truth[row["district"]! + "|" + row["sex"]!, default: 0] += Double(row["household_size"]!)!
            }
            let result = try run(
                pipeline,
                "model: crosstab\ndataset: household-survey-dp\nrows: [district]\ncolumns: [sex]\nmeasure: household_size\nstatistic: sum\nepsilon: 0.5"
            )
            #expect(result.status == .released, "\(result.reason?.description ?? "")")
            guard case .table(let table) = result.result else { return }
            // household_size is 1–8: one row moves at most 8 out of one district and into another,
            // sensitivity 16 persons; scale 16/0.5 = 32, in quanta of 10⁻⁵.
            let privacy = try #require(result.privacy)
            #expect(privacy.figures.map(\.name) == ["sum of household_size"])
            #expect(abs(privacy.scale - 32) < 1e-9 && abs(privacy.figures[0].sensitivity - 16) < 1e-9)
            let errors = table.cells.map {
                ($0.value ?? .nan) - truth[$0.keys["district"]! + "|" + $0.keys["sex"]!, default: 0]
            }
            // |noise| has mean about b and spread b, so the mean of 76 is within 0.45b–1.6b but
            // with a chance near 10⁻⁶.
            #expect(table.cells.count == 76 && errors.allSatisfy(\.isFinite))
            let expected = meanAbsoluteNoise(scale: 3_200_000, unit: 1e-5)
            let mean = errors.map(abs).reduce(0, +) / Double(errors.count)
            #expect(mean > 0.45 * expected && mean < 1.6 * expected, "mean |error| \(mean), expected \(expected)")
            #expect(
                table.totals.last?.value.map { abs($0 - table.cells.compactMap(\.value).reduce(0, +)) < 1e-6 } == true)
        }
    }

    @Test func aTableOfMeansIsTheNoisySumOverTheNoisyCount() throws {
        try withDP { folder, pipeline in
            var sums: [String: Double] = [:]
            var counts: [String: Double] = [:]
            for row in try csvRows(folder) {
                sums[row["sex"]!, default: 0] += Double(row["household_size"]!)!
                counts[row["sex"]!, default: 0] += 1
            }
            let result = try run(
                pipeline,
                "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nmeasure: household_size\nstatistic: mean\nepsilon: 0.5"
            )
            #expect(result.status == .released, "\(result.reason?.description ?? "")")
            guard case .table(let table) = result.result, let privacy = result.privacy else { return }
            // Two figures at ε 0.25 each: counts (sensitivity 2, scale 8) and sums (16, scale 64).
            #expect(privacy.figures.map(\.name) == ["count", "sum of household_size"])
            #expect(privacy.figures.map(\.epsilon) == ["0.5/2", "0.5/2"])
            #expect(abs(privacy.figures[0].scale - 8) < 1e-9 && abs(privacy.figures[1].scale - 64) < 1e-9)
            // Each noisy figure is within six 95 % half-widths of the truth (all but certain), so
            // the mean lies between the extremes those allow; it is not the exact mean.
            let (h, k) = (6 * privacy.figures[1].ci95, 6 * privacy.figures[0].ci95)
            for cell in table.cells {
                let sex = cell.keys["sex"]!
                let value = try #require(cell.value)
                let (sum, count) = (sums[sex]!, counts[sex]!)
                #expect(value >= (sum - h) / (count + k) && value <= (sum + h) / (count - k), "\(sex): \(value)")
                #expect(value != sum / count)
            }
        }
    }

    @Test func aClampNarrowerThanThePolicysTradesTheTailForLessNoise() throws {
        try withDP { folder, pipeline in
            // The mean income of each sex with incomes clamped to 0–200,000, computed from the CSV.
            var sums: [String: Double] = [:]
            var counts: [String: Double] = [:]
            for row in try csvRows(folder) {
                sums[row["sex"]!, default: 0] += min(Double(row["income"]!)!, 200_000).rounded()
                counts[row["sex"]!, default: 0] += 1
            }
            let result = try run(
                pipeline,
                "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nmeasure: income\nstatistic: mean\nepsilon: 0.5\nclamp: { income: [0, 200000] }"
            )
            #expect(result.status == .released, "\(result.reason?.description ?? "")")
            guard case .table(let table) = result.result, let privacy = result.privacy else { return }
            // Sensitivity 400,000 instead of the policy's 20,000,000: scale 1.6 million, not 80.
            #expect(abs(privacy.figures[1].scale - 1_600_000) < 1e-6)
            let (h, k) = (6 * privacy.figures[1].ci95, 6 * privacy.figures[0].ci95)
            for cell in table.cells {
                let sex = cell.keys["sex"]!
                let value = try #require(cell.value)
                #expect(
                    value >= max(0, (sums[sex]! - h) / (counts[sex]! + k))
                        && value <= min(200_000, (sums[sex]! + h) / (counts[sex]! - k)), "\(sex): \(value)")
            }
        }
    }

    @Test func aSummaryGivesNMeanAndSpreadWithoutQuantiles() throws {
        try withDP { folder, pipeline in
            let ages = try csvRows(folder).map { Double($0["age"]!)! }
            let n = Double(ages.count)
            let mean = ages.reduce(0, +) / n
            let sd = (ages.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
            let result = try run(
                pipeline, "model: summary\ndataset: household-survey-dp\nvariables: [age, household_size]\nepsilon: 0.5"
            )
            #expect(result.status == .released, "\(result.reason?.description ?? "")")
            guard case .summary(let summary) = result.result, let privacy = result.privacy else { return }
            // Five figures at ε 0.1 each; age is 16–90, so a row moves the sum of ages by up to 90
            // (to a missing value) and the sum of squares by up to 8,100.
            let scales = Dictionary(uniqueKeysWithValues: privacy.figures.map { ($0.name, $0.scale) })
            let expected = [
                "count": 10.0, "sum of age": 900, "sum of household_size": 80, "sum of squares of age": 81_000,
                "sum of squares of household_size": 640,
            ]
            #expect(scales.count == 5 && expected.allSatisfy { abs(scales[$0.key]! - $0.value) < 1e-6 })
            let age = try #require(summary.variables.first)
            #expect(age.q1 == nil && age.median == nil && age.q3 == nil)
            #expect(abs(Double(age.n) - n) <= 6 * privacy.figures[0].ci95)
            let (h, k) = (6 * privacy.figures[1].ci95, 6 * privacy.figures[0].ci95)
            #expect(age.mean >= (mean * n - h) / (n + k) && age.mean <= (mean * n + h) / (n - k), "\(age.mean)")
            #expect(age.mean != mean && abs(age.std - sd) < 0.5 * sd, "std \(age.std), truth \(sd)")
        }
    }

    @Test func aRegressionComesFromNoisySufficientStatisticsWithItsNoiseError() throws {
        try withDP(dataset: "100", agreement: "50", perJob: "20") { folder, pipeline in
            // The least-squares line of hospital visits on age, by its closed form.
            let rows = try csvRows(folder)
            let x = rows.map { Double($0["age"]!)! }
            let y = rows.map { Double($0["hospital_visits"]!)! }
            let (mx, my) = (x.reduce(0, +) / Double(x.count), y.reduce(0, +) / Double(y.count))
            let products: [Double] = zip(x, y).map { ($0 - mx) * ($1 - my) }
            let squares: [Double] = x.map { ($0 - mx) * ($0 - mx) }
            let slope = products.reduce(0, +) / squares.reduce(0, +)
            let result = try run(
                pipeline,
                "model: linear_regression\ndataset: household-survey-dp\ntarget: hospital_visits\nfeatures: [age]\nepsilon: 20"
            )
            #expect(result.status == .released, "\(result.reason?.description ?? "")")
            guard case .regression(let fit) = result.result, let privacy = result.privacy else { return }
            // The count, two sums and three sums of products, ε 20/6 each.
            #expect(privacy.figures.count == 6 && privacy.figures.allSatisfy { $0.epsilon == "20/6" })
            let coefficient = try #require(fit.coefficients.last)
            #expect(coefficient.term == "age" && coefficient.stdError == nil && coefficient.pValue == nil)
            let noise = try #require(coefficient.noise95)
            #expect(
                noise > 0 && abs(coefficient.estimate - slope) < 4 * noise,
                "\(coefficient.estimate) vs \(slope) ± \(noise)")
            #expect(coefficient.estimate != slope)
        }
    }

    @Test func everyDPExampleSpecIsReleased() throws {
        try withDP(rows: 20000) { _, pipeline in
            let specs = try Fixtures.exampleSpecs(in: "models/dp")
            #expect(specs.count >= 4)
            for (name, text) in specs {
                let result = try run(pipeline, text)
                #expect(result.status == .released, "\(name): \(result.reason?.description ?? "")")
                #expect(result.privacy != nil && result.dataset?.id == "household-survey-dp")
            }
        }
    }

    @Test func aLogitAStandardDeviationAndACategoryFeatureAreRefusedWithAReason() throws {
        try withDP { _, pipeline in
            for spec in [
                "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nmeasure: income\nstatistic: std",
                "model: linear_regression\ndataset: household-survey-dp\ntarget: income\nfeatures: [sector]",
            ] {
                let result = try run(pipeline, spec)
                #expect(result.status == .refused && result.reason?.code == .notAvailableInDP)
            }
        }
    }

    @Test func aHouseholdOfManyRowsCountsForAtMostItsBound() throws {
        // Households of four rows each, the policy's unit keeping two of each.
        let policy = try Fixtures.dpPolicy(dataset: "10", agreement: "2", perJob: "0.5").replacingOccurrences(
            of: "epsilonPerJob: 0.1 }", with: "epsilonPerJob: 0.1, unit: { column: person_id, maxRowsPerUnit: 2 } }")
        let (folder, pipeline) = try dpSurvey(rows: 3000, policy: policy) { row, fields in
            fields[0] = "H\(row / 4)"
        }
        defer { withExtendedLifetime(folder) {} }
        let result = try pipeline.run(
            specText: "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nepsilon: 0.5")
        #expect(result.status == .released, "\(result.reason?.description ?? "")")
        guard case .table(let table) = result.result, let privacy = result.privacy else { return }
        // One household moves two rows from one cell to another: sensitivity 4, scale 8.
        #expect(privacy.unit == "person_id (at most 2 rows)" && abs(privacy.scale - 8) < 1e-12)
        // 1,500 rows kept, give or take the two cells' noise (each within 6 × 24 but with a chance
        // below 10⁻⁸); all 3,000 would be far outside.
        let total = try #require(table.totals.last?.value)
        #expect(abs(total - 1500) <= 12 * privacy.ci95, "total \(total)")
        // The catalog does not say how many rows there are: one household's rows would change it.
        let catalog = Catalog(datasets: pipeline.datasets, store: pipeline.store)
        #expect(try catalog.entry("household-survey-dp").rows == nil)

        // Having spent ε under this block, the dataset keeps it: a new ingest without the unit,
        // or with a larger cap, is refused; the same block is not.
        let csv = folder.url.appendingPathComponent("survey.csv")
        let registration = DatasetRegistration(state: folder.url, store: pipeline.store)
        for weaker in [
            try Fixtures.dpPolicy(dataset: "10", agreement: "2", perJob: "0.5"),
            policy.replacingOccurrences(of: "datasetEpsilon: 10", with: "datasetEpsilon: 20"),
        ] {
            #expect {
                _ = try registration.ingest(policyText: weaker, csv: csv)
            } throws: { ($0 as? ModelgateError)?.code == "privacy_block_changed" }
        }
        _ = try registration.ingest(policyText: policy, csv: csv)
    }

    /// The gateway noises only what has the shape the plan fixes: a worker that repeats a bin,
    /// shifts the edges, answers another model or leaves out a cell gets one fixed failure.
    @Test func aWorkerAnswerOfAnotherShapeIsNotReleased() throws {
        let policy = try Policy(yaml: try Fixtures.dpPolicy())
        func plan(_ text: String) throws -> (Plan, PrivacyTerms) {
            let spec = try ModelSpec(text: "dataset: household-survey-dp\n" + text)
            let terms = try #require(try policy.privacyTerms(for: spec))
            return (try policy.admit(spec).reading(terms), terms)
        }
        let (histogram, histogramTerms) = try plan("model: histogram\nvariable: age\nbins: 3")
        guard case .histogram(let task) = histogram.task, let edges = task.edges else { return }
        let honest = RawHistogram(variable: "age", edges: edges, counts: [5, 6, 7], below: nil, above: nil)
        #expect(JobPipeline.hasPlannedShape(.histogram(honest), histogram, histogramTerms))
        var repeated = honest
        repeated.counts.append(7)
        repeated.edges.append(edges.last! + 1)
        var shifted = honest
        shifted.edges[1] += 1
        var outer = honest
        outer.below = 0
        for answer in [repeated, shifted, outer] {
            #expect(!JobPipeline.hasPlannedShape(.histogram(answer), histogram, histogramTerms))
        }
        let (mean, meanTerms) = try plan("model: crosstab\nrows: [sex]\nmeasure: age\nstatistic: mean")
        let dimensions = try #require(meanTerms.dimensions)
        let sums = RawSums(dimensions: dimensions, figures: [[10, 12], [400, 500]])
        #expect(JobPipeline.hasPlannedShape(.sums(sums), mean, meanTerms))
        for wrong in [
            RawSums(dimensions: dimensions, figures: [[10], [400, 500]]),
            RawSums(dimensions: dimensions, figures: [[10, 12], [400, 500], [1, 2]]),
            RawSums(dimensions: [TableDimension(name: "sex", levels: ["M", "F"])], figures: [[10, 12], [400, 500]]),
        ] {
            #expect(!JobPipeline.hasPlannedShape(.sums(wrong), mean, meanTerms))
        }
        #expect(!JobPipeline.hasPlannedShape(.histogram(honest), mean, meanTerms))
        #expect(!JobPipeline.hasPlannedShape(.sums(sums), histogram, histogramTerms))
    }

    /// The differencing attack on a sum: a district's total income by sex, minus the same total
    /// without one person's age, gives that person's income exactly on an exact dataset (where the
    /// release ledger refuses the second). Here each sum carries noise of scale 2·200,000/ε (a row
    /// moves at most its clamped income out of one cell and into another), and no test on the
    /// attacker's estimate tells a rich person (200,000) from a poor one (0) with a likelihood ratio
    /// above e^ε: only the first sum holds the person; its error has the declared scale. Run once
    /// for real, then 20,000 times on the exact sums of both worlds with seeded noise through the
    /// same release code, to measure.
    @Test func theSumDifferencingAttackLearnsNoMoreThanEpsilonAllows() throws {
        try withDP(dataset: "10", agreement: "2", perJob: "0.5") { folder, pipeline in
            let rows = try csvRows(folder)
            let groups = Dictionary(grouping: rows) { "\($0["district"]!)|\($0["age"]!)" }
            let target = try #require(groups.values.first { $0.count == 1 }?.first)
            let (district, age) = (target["district"]!, target["age"]!)
            let base =
                "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nmeasure: income\nstatistic: sum\n"
                + "clamp: { income: [0, 200000] }\nepsilon: 0.5\nwhere:\n"
                + "  - { column: district, op: \"=\", value: \"\(district)\" }\n"
            let narrower = base + "  - { column: age, op: \"!=\", value: \(age) }\n"
            // Once for real: both questions are answered, with noise.
            let first = try run(pipeline, base)
            let second = try run(pipeline, narrower)
            #expect(first.status == .released && second.status == .released, "\(first.reason?.description ?? "")")
            #expect(first.privacy?.scale == 800_000 && second.privacy?.scale == 800_000)

            // The exact sums in whole yuan, by sex, of the district with and without the person;
            // the person rich in one world and poor in the other, all else the same.
            func sums(_ keep: ([String: String]) -> Bool, income: ([String: String]) -> Double) -> [Int64] {
                ["F", "M"].map { sex in
                    rows.filter { $0["district"] == district && $0["sex"] == sex && keep($0) }
                        .reduce(Int64(0)) { $0 + Int64(min(income($1), 200_000).rounded()) }
                }
            }
            let isTarget = { (row: [String: String]) in row["person_id"] == target["person_id"] }
            let rich = sums({ _ in true }) { isTarget($0) ? 200_000 : Double($0["income"]!)! }
            let poor = sums({ _ in true }) { isTarget($0) ? 0 : Double($0["income"]!)! }
            let rest = sums({ $0["age"] != age }) { Double($0["income"]!)! }
            let policy = try #require(try pipeline.datasets.open("household-survey-dp")).policy
            let terms = try #require(try policy.privacyTerms(for: try ModelSpec(text: base)))
            guard case .crosstab(let task) = try ModelSpec(text: base).task else { return }
            let dimensions = try #require(terms.dimensions)
            let cell = target["sex"] == "F" ? 0 : 1
            var bits = SplitMix64(seed: 2027)
            let runs = 20_000
            var saidRich = (rich: 0, poor: 0)
            var errors: [Double] = []
            for _ in 0..<runs {
                for (world, isRich) in [(rich, true), (poor, false)] {
                    let a = NoisyRelease.table(
                        RawSums(dimensions: dimensions, figures: [world]), task: task, terms: terms, using: &bits)
                    let b = NoisyRelease.table(
                        RawSums(dimensions: dimensions, figures: [rest]), task: task, terms: terms, using: &bits)
                    let estimate = a.cells[cell].value! - b.cells[cell].value!
                    if isRich { errors.append(estimate - 200_000) }
                    if estimate >= 100_000 {
                        if isRich { saidRich.rich += 1 } else { saidRich.poor += 1 }
                    }
                }
            }
            // The estimate's error is the difference of two draws of the declared scale b = 800,000:
            // centred, with variance 2·2q/(1−q)², q = exp(−1/b) (about 4b²).
            let q = exp(-1 / 800_000.0)
            let variance = 2 * (2 * q / ((1 - q) * (1 - q)))
            let mean = errors.reduce(0, +) / Double(runs)
            let measured = errors.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(runs - 1)
            #expect(abs(mean) < 5 * (variance / Double(runs)).squareRoot(), "mean error \(mean)")
            #expect(abs(measured / variance - 1) < 0.06, "variance \(measured), declared \(variance)")
            // The attacker's best threshold, halfway: its hit rate over its false-alarm rate is at
            // most e^0.5 = 1.65 (both rates near one half, each known to about ±0.007).
            let ratio = Double(saidRich.rich) / Double(saidRich.poor)
            #expect(ratio <= exp(0.5) * 1.05 && ratio > 1, "likelihood ratio \(ratio)")
            #expect(Double(saidRich.rich) / Double(runs) < 0.75)
        }
    }
}

/// The catalog as a codebook: each column with its description, unit, declared levels or bounds,
/// and what a spec may use it for, as admission decides it.
extension NoisyJobTests {
    @Test func theCatalogIsACodebook() throws {
        try withDP { _, pipeline in
            let entry = try Catalog(datasets: pipeline.datasets, store: pipeline.store).entry("household-survey-dp")
            let columns = Dictionary(uniqueKeysWithValues: entry.columns.map { ($0.name, $0) })
            let income = try #require(columns["income"])
            #expect(income.unit == "yuan per year" && income.description == "household income before tax")
            #expect(income.min == 0 && income.max == 10_000_000 && income.uses == ["measure", "feature"])
            #expect(
                columns["district"]?.levels?.count == 38 && columns["district"]?.uses == ["group", "filter", "feature"])
            #expect(columns["age"]?.uses == ["group", "filter", "measure", "feature"])
            #expect(columns["insured"]?.uses == ["measure", "feature", "logit target"])
            #expect(columns["person_id"]?.uses == [])
            #expect(entry.models == ["crosstab", "histogram", "summary", "linear_regression"])
            // Each use the codebook names, admission grants; each it does not, admission refuses.
            let policy = try #require(try pipeline.datasets.open("household-survey-dp")).policy
            for column in entry.columns {
                let asDimension = "model: crosstab\ndataset: household-survey-dp\nrows: [\(column.name)]"
                let admitted = (try? policy.admit(try ModelSpec(text: asDimension))) != nil
                #expect(admitted == column.uses.contains("group"), "\(column.name)")
            }
        }
    }
}
