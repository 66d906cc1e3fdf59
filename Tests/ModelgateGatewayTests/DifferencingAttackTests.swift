import Foundation
import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateGateway

/// Attacks on the release ledger through the whole pipeline and the real worker, on 20,000 rows
/// of the demo survey under the shipped policy. Each attack first runs as a positive control:
/// every job in a state folder of its own, where no ledger relates them, so each is released and
/// the attack recovers what it is after (checked against the survey's own rows). Then the same
/// jobs run against one dataset, and the job that would complete the attack is refused.
@Suite(.serialized) struct DifferencingAttackTests {
    static let rows = 20_000

    /// A demo state folder, and the survey's rows as the test (not the researcher) can read them.
    final class Survey {
        let folder: TemporaryFolder
        let pipeline: JobPipeline
        let records: [[String: String]]

        init() throws {
            folder = try TemporaryFolder()
            let policy = try String(
                contentsOf: Fixtures.repository.appendingPathComponent("policies/household-survey.yaml"),
                encoding: .utf8)
            _ = try DemoDataset.prepare(rows: DifferencingAttackTests.rows, policyText: policy, state: folder.url)
            pipeline = try JobPipeline(state: folder.url)
            let csv = try String(
                contentsOf: folder.url.appendingPathComponent("demo/household-survey.csv"), encoding: .utf8)
            let lines = csv.split(separator: "\n")
            let names = lines[0].split(separator: ",").map(String.init)
            records = lines.dropFirst().map { line in
                Dictionary(uniqueKeysWithValues: zip(names, line.split(separator: ",").map(String.init)))
            }
        }

        func run(_ spec: String, as principal: String = "operator") throws -> JobResult {
            try pipeline.run(specText: "dataset: household-survey\n" + spec, principal: principal)
        }
    }

    /// Runs `specs` each in a fresh state folder of its own: no ledger sees two of them.
    func apart(_ specs: [String]) throws -> [JobResult] {
        try specs.map { try Survey().run($0) }
    }

    static func summary(_ variable: String, _ result: JobResult) -> ReleasedSummary.Variable? {
        guard case .summary(let summary) = result.result else { return nil }
        return summary.variables.first { $0.name == variable }
    }

    /// A district and an age that exactly one person in it has.
    static func loner(_ survey: Survey) -> (district: String, age: String, person: [String: String])? {
        var groups: [String: [[String: String]]] = [:]
        for record in survey.records { groups[record["district"]! + "|" + record["age"]!, default: []].append(record) }
        let key = groups.keys.sorted().first { key in
            groups[key]!.count == 1
                && survey.records.count { $0["district"] == key.split(separator: "|")[0].description } >= 200
        }
        guard let key else { return nil }
        let parts = key.split(separator: "|").map(String.init)
        return (parts[0], parts[1], groups[key]![0])
    }

    @Test func twoSummariesWhoseFiltersDifferByOnePersonGiveNothingAway() throws {
        let survey = try Survey()
        let (district, age, person) = try #require(Self.loner(survey))
        let whole = "model: summary\nvariables: [income]\nwhere: [{ column: district, op: \"=\", value: \(district) }]"
        let less =
            "model: summary\nvariables: [income]\nwhere: [{ column: district, op: \"=\", value: \(district) }, "
            + "{ column: age, op: \"!=\", value: \(age) }]"

        // Positive control: apart, both are released, and n₁·mean₁ − n₂·mean₂ is the person's income.
        let control = try apart([whole, less])
        #expect(control.allSatisfy { $0.status == .released })
        let (first, second) = (
            try #require(Self.summary("income", control[0])), try #require(Self.summary("income", control[1]))
        )
        let recovered = Double(first.n) * first.mean - Double(second.n) * second.mean
        #expect(abs(recovered - Double(person["income"]!)!) < 0.01)

        // Together: the first is released, the second refused, with no figure of its own.
        #expect(try survey.run(whole).status == .released)
        let refused = try survey.run(less)
        #expect(refused.status == .refused)
        #expect(refused.reason?.code == .differencing)
        #expect(refused.result == nil && refused.usage == nil)
        // The message names no job and quotes no count.
        #expect(refused.reason?.message.contains(district) == false)
        #expect(refused.reason?.message.contains(String(first.n)) == false)
    }

    @Test func twoSummariesThatSwapOnePersonForAnotherGiveNothingAway() throws {
        // A district with two people alone at their ages: leave out one, then the other. The two
        // selections are the same size and neither holds the other, but the sums and the sums of
        // squares (from n, mean and standard deviation) differ by x_b − x_a and x_b² − x_a².
        let survey = try Survey()
        var byKey: [String: [[String: String]]] = [:]
        for record in survey.records { byKey[record["district"]! + "|" + record["age"]!, default: []].append(record) }
        let district = try #require(
            Set(survey.records.map { $0["district"]! }).sorted().first { district in
                byKey.filter { $0.key.hasPrefix(district + "|") && $0.value.count == 1 }.count >= 2
                    && survey.records.count { $0["district"] == district } >= 200
            })
        let loners = byKey.filter { $0.key.hasPrefix(district + "|") && $0.value.count == 1 }.sorted { $0.key < $1.key }
        let (a, b) = (loners[0].value[0], loners[1].value[0])
        let without = { (person: [String: String]) in
            "model: summary\nvariables: [income]\nwhere: [{ column: district, op: \"=\", value: \(district) }, "
                + "{ column: age, op: \"!=\", value: \(person["age"]!) }]"
        }

        // Positive control: apart, both are released and give both incomes.
        let control = try apart([without(a), without(b)])
        #expect(control.allSatisfy { $0.status == .released })
        let (first, second) = (
            try #require(Self.summary("income", control[0])), try #require(Self.summary("income", control[1]))
        )
        let n = Double(first.n)
        func squares(_ v: ReleasedSummary.Variable) -> Double { (n - 1) * v.std * v.std + n * v.mean * v.mean }
        let difference = n * (first.mean - second.mean)  // x_b − x_a
        let total = (squares(first) - squares(second)) / difference  // x_b + x_a
        #expect(abs((total - difference) / 2 - Double(a["income"]!)!) < 0.5)
        #expect(abs((total + difference) / 2 - Double(b["income"]!)!) < 0.5)

        // Together: the second is refused.
        #expect(try survey.run(without(a)).status == .released)
        #expect(try survey.run(without(b)).reason?.code == .differencing)
    }

    @Test func aSecondResearcherCannotFinishWhatTheFirstStarted() throws {
        // Collusion: researcher A asks the first question, B the second, on the same dataset.
        let survey = try Survey()
        let (district, age, _) = try #require(Self.loner(survey))
        let filter = "{ column: district, op: \"=\", value: \(district) }"
        #expect(
            try survey.run("model: summary\nvariables: [income]\nwhere: [\(filter)]", as: "alice").status == .released)
        let second = try survey.run(
            "model: summary\nvariables: [income]\nwhere: [\(filter), { column: age, op: \"!=\", value: \(age) }]",
            as: "bob")
        #expect(second.reason?.code == .differencing)
    }

    @Test func anotherProcessOnTheSameStateSeesTheLedger() throws {
        // The command line beside the server: a second pipeline over the same state folder, which
        // reads the ledger (its entries and row atoms) back from the store.
        let survey = try Survey()
        let (district, age, _) = try #require(Self.loner(survey))
        let filter = "{ column: district, op: \"=\", value: \(district) }"
        #expect(try survey.run("model: summary\nvariables: [income]\nwhere: [\(filter)]").status == .released)
        let other = try JobPipeline(state: survey.folder.url)
        let second = try other.run(
            specText: "dataset: household-survey\nmodel: summary\nvariables: [income]\nwhere: [\(filter), "
                + "{ column: age, op: \"!=\", value: \(age) }]")
        #expect(second.reason?.code == .differencing)
    }

    @Test func unionDifferencingGivesNoTinyDistrictAway() throws {
        // district in [tiny, big] minus district = big is the tiny district.
        let survey = try Survey()
        let sizes = Dictionary(grouping: survey.records, by: { $0["district"]! }).mapValues(\.count)
        let tiny = try #require(sizes.filter { $0.value > 0 && $0.value < 10 }.keys.sorted().first)
        let big = try #require(sizes.max { $0.value < $1.value }?.key)
        let both =
            "model: summary\nvariables: [income]\nwhere: [{ column: district, op: in, value: [\(tiny), \(big)] }]"
        let one = "model: summary\nvariables: [income]\nwhere: [{ column: district, op: \"=\", value: \(big) }]"

        let control = try apart([both, one])
        #expect(control.allSatisfy { $0.status == .released })
        let (a, b) = (
            try #require(Self.summary("income", control[0])), try #require(Self.summary("income", control[1]))
        )
        #expect(a.n - b.n == sizes[tiny])

        #expect(try survey.run(both).status == .released)
        #expect(try survey.run(one).reason?.code == .differencing)
    }

    @Test func theTrackerGivesNoOneAway() throws {
        // C = a tiny district, T = half of the other districts. With the dataset's public size,
        // |C ∪ T| + |C ∪ ¬T| − |ALL| = |C|, and the same with sums gives C's total income; no
        // query leaves out few rows, and no two differ by few.
        let survey = try Survey()
        let sizes = Dictionary(grouping: survey.records, by: { $0["district"]! }).mapValues(\.count)
        let tiny = try #require(sizes.filter { $0.value > 0 && $0.value < 10 }.keys.sorted().first)
        let others = sizes.keys.filter { $0 != tiny }.sorted()
        let half = others.count / 2
        let query = { (districts: [String]) in
            "model: summary\nvariables: [income]\nwhere: [{ column: district, op: in, value: [\(districts.joined(separator: ", "))] }]"
        }
        let withT = query(Array(others[..<half]) + [tiny])
        let withNotT = query(Array(others[half...]) + [tiny])

        let control = try apart([withT, withNotT])
        #expect(control.allSatisfy { $0.status == .released })
        let (a, b) = (
            try #require(Self.summary("income", control[0])), try #require(Self.summary("income", control[1]))
        )
        #expect(a.n + b.n - Self.rows == sizes[tiny])

        #expect(try survey.run(withT).status == .released)
        #expect(try survey.run(withNotT).reason?.code == .differencing)
    }

    @Test func aSuppressedCellComesNotBackFromOneWayTables() throws {
        // In a district, table 1 is education × sex, whose (e, F) cell of 1…9 people is withheld;
        // table 2 counts education among men, table 3 education: (e, F) = table 3 − table 2.
        let survey = try Survey()
        var cells: [String: [String: Int]] = [:]
        for record in survey.records {
            cells[record["district"]! + "|" + record["education"]!, default: [:]][record["sex"]!, default: 0] += 1
        }
        let key = try #require(
            cells.keys.sorted().first { key in
                let (women, men) = (cells[key]!["F", default: 0], cells[key]!["M", default: 0])
                return (1..<10).contains(women) && men >= 10 && women + men >= 10
            })
        let (district, education) = (String(key.split(separator: "|")[0]), String(key.split(separator: "|")[1]))
        let inDistrict = "{ column: district, op: \"=\", value: \(district) }"
        let twoWay = "model: crosstab\nrows: [education]\ncolumns: [sex]\nwhere: [\(inDistrict)]"
        let men = "model: crosstab\nrows: [education]\nwhere: [\(inDistrict), { column: sex, op: \"=\", value: M }]"
        let all = "model: crosstab\nrows: [education]\nwhere: [\(inDistrict)]"
        func cell(_ result: JobResult) -> Double? {
            guard case .table(let table) = result.result else { return nil }
            return table.cells.first { $0.keys["education"] == education }?.value
        }

        // Positive control: apart, the one-way tables give the withheld cell back.
        let control = try apart([twoWay, men, all])
        guard case .table(let table) = control[0].result else { Issue.record("not a table"); return }
        #expect(table.cells.first { $0.keys == ["education": education, "sex": "F"] }?.suppressed == true)
        let recovered = try #require(cell(control[2])) - (try #require(cell(control[1])))
        #expect(Int(recovered) == cells[key]!["F"])

        // Together: the men's table already gives back (e, M), which table 1 withheld as the
        // secondary partner of (e, F), so it is refused; and so, after it, is no further table
        // needed to hide (e, F).
        #expect(try survey.run(twoWay).status == .released)
        let later = [try survey.run(men), try survey.run(all)]
        #expect(later[0].reason?.code == .differencing)
        #expect(!later.allSatisfy { $0.status == .released })
    }

    @Test func regressionsWithAndWithoutOnePersonAreRefused() throws {
        let survey = try Survey()
        let (district, age, _) = try #require(Self.loner(survey))
        let filter = "{ column: district, op: \"=\", value: \(district) }"
        let spec = "model: linear_regression\ntarget: income\nfeatures: [age]\nwhere: [\(filter)"
        #expect(try survey.run(spec + "]").status == .released)
        let second = try survey.run(spec + ", { column: age, op: \"!=\", value: \(age) }]")
        #expect(second.reason?.code == .differencing)
    }

    /// The same two fits sent at the same moment to one gateway. Each one's ledger work begins
    /// while it is being fitted, against the ledger as it then is; the one recorded second is
    /// judged again against the first: one is released, never both.
    @Test func regressionsWithAndWithoutOnePersonSentAtOnceAreNeverBothReleased() throws {
        for _ in 0..<3 {
            let survey = try Survey()
            let (district, age, _) = try #require(Self.loner(survey))
            let filter = "{ column: district, op: \"=\", value: \(district) }"
            let spec = "model: linear_regression\ntarget: income\nfeatures: [age]\nwhere: [\(filter)"
            let specs = [spec + "]", spec + ", { column: age, op: \"!=\", value: \(age) }]"]
            let results = Locked<[JobResult?]>([nil, nil])
            // One pipeline on two threads, as the server's job threads share theirs.
            nonisolated(unsafe) let shared = survey
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let result = try? shared.run(specs[index])
                results.update { $0[index] = result }
            }
            let both = results.value.compactMap { $0 }
            #expect(both.count == 2)
            #expect(both.filter { $0.status == .released }.count == 1)
            #expect(both.filter { $0.reason?.code == .differencing }.count == 1)
        }
    }

    @Test func regressionsWhoseSamplesDifferByOneAgeAndOnePersonAreRefused() throws {
        // A district's people of one age (10 or more) and its one person
        // of another age are in the first sample and not the second. The samples differ by 11 or
        // more people, so as sets they are safe; but Σ age·income − c·Σ income over the two
        // leaves only that person's income, times (their age − c). The sums come from each
        // sample's slope and a summary of age and income over it.
        let survey = try Survey()
        let (district, loneAge, person) = try #require(Self.loner(survey))
        var ages: [String: Int] = [:]
        for record in survey.records where record["district"] == district { ages[record["age"]!, default: 0] += 1 }
        let groupAge = try #require(ages.filter { $0.value >= 10 }.keys.sorted().first)
        let inDistrict = "{ column: district, op: \"=\", value: \(district) }"
        let others =
            "{ column: age, op: \"!=\", value: \(groupAge) }, { column: age, op: \"!=\", value: \(loneAge) }"
        let (whole, part) = ("where: [\(inDistrict)]", "where: [\(inDistrict), \(others)]")
        let fit = "model: linear_regression\ntarget: income\nfeatures: [age]\n"
        let summary = "model: summary\nvariables: [age, income]\n"
        let specs = [fit + whole, summary + whole, fit + part, summary + part]

        /// Σ income and Σ age·income over a sample: β₁ = (nΣxy − ΣxΣy) / (nΣxx − (Σx)²).
        func sums(_ fit: JobResult, _ summary: JobResult) throws -> (y: Double, xy: Double) {
            guard case .regression(let regression) = fit.result else { throw AttackFailed.notReleased }
            let (x, y) = (try #require(Self.summary("age", summary)), try #require(Self.summary("income", summary)))
            let n = Double(regression.nObservations)
            #expect(x.n == regression.nObservations && y.n == regression.nObservations)
            let slope = try #require(regression.coefficients.first { $0.term == "age" }).estimate
            let (sx, sy) = (n * x.mean, n * y.mean)
            let sxx = (n - 1) * x.std * x.std + n * x.mean * x.mean
            return (sy, (slope * (n * sxx - sx * sx) + sx * sy) / n)
        }

        // Positive control, each job in a state of its own: the person's income comes back.
        let control = try apart(specs)
        let (first, second) = (try sums(control[0], control[1]), try sums(control[2], control[3]))
        let c = Double(groupAge)!
        let recovered = ((first.xy - second.xy) - c * (first.y - second.y)) / (Double(loneAge)! - c)
        #expect(abs(recovered - Double(person["income"]!)!) < 0.01)

        // On one ledger the second fit is refused: its age-weighted sum, with the first's, would
        // single the person out; the summaries of both samples are still answered.
        let results = try specs.map { try survey.run($0) }
        #expect(results[0].status == .released && results[1].status == .released)
        #expect(results[2].reason?.code == .differencing, "\(results[2].status)")
        #expect(results[3].status == .released)

        // A second process on a state where only the first fit was released reads its weighted
        // sample back from the store and refuses the second fit too.
        let fresh = try Survey()
        #expect(try fresh.run(specs[0]).status == .released)
        let other = try JobPipeline(state: fresh.folder.url)
        #expect(try other.run(specText: "dataset: household-survey\n" + specs[2]).reason?.code == .differencing)
    }

    enum AttackFailed: Error { case notReleased }

    @Test func aHistogramEdgeMovedPastOnePersonIsRefused() throws {
        // Bins [0, x) and [x, max] then [0, y) and [y, max], with one income between x and y.
        let survey = try Survey()
        let incomes = survey.records.map { Double($0["income"]!)! }.sorted()
        let (x, y) = (incomes[incomes.count / 2 - 1], incomes[incomes.count / 2])
        let edges = { (edge: Double) in
            "model: histogram\nvariable: income\nedges: [0, \(edge), 10000000]"
        }
        let first = try survey.run(edges((x + incomes[incomes.count / 2 - 2]) / 2))
        #expect(first.status == .released, "\(first.reason?.description ?? "")")
        let second = try survey.run(edges((x + y) / 2))
        #expect(second.reason?.code == .differencing)
    }

    @Test func aHistogramEdgeOutsideAGroupIsNoOracleForItsExtremes() throws {
        // A group of 10–19 people, released whole; then the same group's histogram with one edge
        // B. Below the group's lowest income one bin is empty and the other is the whole group:
        // both are withheld, as they are when B splits the group into two small bins. A refusal
        // in only one of the cases would bisect the lowest income.
        let survey = try Survey()
        var sizes: [String: Int] = [:]
        for record in survey.records { sizes[record["district"]!, default: 0] += 1 }
        let candidates = sizes.filter { (12..<20).contains($0.value) }.keys.sorted()
        let district = try #require(candidates.first)
        let incomes = survey.records.filter { $0["district"] == district }.map { Double($0["income"]!)! }.sorted()
        let group = "where: [{ column: district, op: \"=\", value: \(district) }]"
        let histogram = { (edges: [Double]) in
            "model: histogram\nvariable: income\nedges: \(edges)\n\(group)"
        }
        #expect(try survey.run(histogram([0, 10_000_000])).status == .released)
        let below = try survey.run(histogram([0, incomes[0] / 2, 10_000_000]))
        let inside = try survey.run(histogram([0, (incomes[4] + incomes[5]) / 2, 10_000_000]))
        #expect(below.status == .released && inside.status == .released)
        for result in [below, inside] {
            guard case .histogram(let bins) = result.result else { Issue.record("not a histogram"); continue }
            #expect(bins.bins.allSatisfy { $0.suppressed })
        }
    }

    @Test func repeatingAQuestionAddsNothingAndIsAnswered() throws {
        let survey = try Survey()
        let spec = "model: crosstab\nrows: [district]\ncolumns: [sex]"
        let first = try survey.run(spec)
        let again = try survey.run(spec)
        #expect(first.status == .released && again.status == .released, "\(first.reason?.description ?? "")")
        #expect(first.result == again.result)
    }

    @Test func aGroupRefusedForSharingOneValueIsNotGivenBackAsADifference() throws {
        let survey = try Survey()
        // A district and an age whose 10 or more people all share their insured status: a
        // summary of them is refused for group disclosure.
        let (district, age, size) = try #require(Self.uniformGroup(survey, "insured"))
        let group =
            "model: summary\nvariables: [insured]\nwhere: [{ column: district, op: \"=\", value: \(district) }, "
            + "{ column: age, op: \"=\", value: \(age) }]"
        let whole = "model: summary\nvariables: [insured]\nwhere: [{ column: district, op: \"=\", value: \(district) }]"
        let rest =
            "model: summary\nvariables: [insured]\nwhere: [{ column: district, op: \"=\", value: \(district) }, "
            + "{ column: age, op: \"!=\", value: \(age) }]"

        // Positive control: the group alone is refused; the district with and without it are
        // released, and their difference says that all of the group share one status.
        let refused = try survey.run(group)
        #expect(refused.status == .refused && refused.reason?.code == .groupDisclosure)
        let control = try apart([whole, rest])
        #expect(control.allSatisfy { $0.status == .released })
        let (first, second) = (
            try #require(Self.summary("insured", control[0])), try #require(Self.summary("insured", control[1]))
        )
        #expect(first.n - second.n == size)
        let insured = (Double(first.n) * first.mean - Double(second.n) * second.mean).rounded()
        #expect(insured == 0 || Int(insured) == size)

        // One ledger that never saw the refusal releases both: the group has 10 or more people.
        let unaware = try Survey()
        #expect(try unaware.run(whole).status == .released && unaware.run(rest).status == .released)

        // Against the ledger that saw the refusal, the second of the pair is refused.
        #expect(try survey.run(whole).status == .released)
        let last = try survey.run(rest)
        #expect(last.status == .refused && last.reason?.code == .differencing)
    }

    @Test func aGroupRefusedForSharingOneValueStaysProtectedWhenATableCountedItFirst() throws {
        let survey = try Survey()
        let (district, age, size) = try #require(Self.uniformGroup(survey, "insured"))
        let inDistrict = "{ column: district, op: \"=\", value: \(district) }"
        let counts = "model: crosstab\nrows: [age]\nwhere: [\(inDistrict)]"
        let group =
            "model: summary\nvariables: [insured]\nwhere: [\(inDistrict), { column: age, op: \"=\", value: \(age) }]"
        let whole = "model: summary\nvariables: [insured]\nwhere: [\(inDistrict)]"
        let rest =
            "model: summary\nvariables: [insured]\nwhere: [\(inDistrict), { column: age, op: \"!=\", value: \(age) }]"

        // The table of counts by age releases the group's size: its set is public, so a ledger
        // that protected the refused group as a set only would drop it as known already.
        let table = try survey.run(counts)
        #expect(table.status == .released, "\(table.reason?.description ?? "")")
        guard case .table(let released) = table.result else {
            Issue.record("a crosstab answered with something other than a table")
            return
        }
        #expect(released.cells.first { $0.keys["age"] == age }?.value == Double(size))
        #expect(try survey.run(group).reason?.code == .groupDisclosure)

        // Positive control: after the same table and refusal, the pair's difference gives the
        // group's insured count, which is 0 or all of them.
        let control = try apart([whole, rest])
        let (first, second) = (
            try #require(Self.summary("insured", control[0])), try #require(Self.summary("insured", control[1]))
        )
        let insured = (Double(first.n) * first.mean - Double(second.n) * second.mean).rounded()
        #expect(first.n - second.n == size && (insured == 0 || Int(insured) == size))

        // The group's insured status stays protected: the second of the pair is refused, here
        // and in another process reading the same store.
        #expect(try survey.run(whole).status == .released)
        #expect(try survey.run(rest).reason?.code == .differencing)
        let again = try JobPipeline(state: survey.folder.url)
        let later = try again.run(specText: "dataset: household-survey\n" + rest, principal: "operator")
        #expect(later.reason?.code == .differencing)
        // Counting the same groups again, or another measure over the pair, is still answered.
        #expect(try survey.run(counts).status == .released)
        #expect(
            try survey.run(rest.replacingOccurrences(of: "[insured]", with: "[hospital_visits]")).status == .released)
    }

    /// A district and an age whose 10 or more people all share one value of `variable`, with
    /// the group's size.
    static func uniformGroup(_ survey: Survey, _ variable: String) -> (String, String, Int)? {
        var groups: [String: [[String: String]]] = [:]
        for record in survey.records { groups[record["district"]! + "|" + record["age"]!, default: []].append(record) }
        let key = groups.keys.sorted().first { key in
            let members = groups[key]!
            return members.count >= 10 && Set(members.map { $0[variable]! }).count == 1
        }
        guard let key else { return nil }
        let parts = key.split(separator: "|").map(String.init)
        return (parts[0], parts[1], groups[key]!.count)
    }
}

/// A value two threads of a test update, one at a time.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
