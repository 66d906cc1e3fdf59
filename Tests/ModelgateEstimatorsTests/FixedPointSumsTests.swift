import ModelgateParsing
import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateEstimators

/// The sums a worker returns for a dp job move, when one row is replaced by any other (beyond
/// the bounds, missing, in another cell), by no more than the sensitivity the gateway scales the
/// noise to, and by exactly that much for the worst row: the attack on the bound, attempted.
@Suite struct FixedPointSumsTests {
    static let policy = try! Policy(
        yaml: Fixtures.policyText.replacingOccurrences(
            of: "district:  { class: quasi-identifier, type: category }",
            with: "district:  { class: quasi-identifier, type: category, levels: [north, south] }")
            + "\nprivacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }")

    struct Row {
        var district: String?
        var age: Int?
        var income: Double?
        var insured: Bool?
    }

    /// Values a replaced row may take: the bounds, beyond them, missing, anything between.
    static func anyRow(_ random: inout SplitMix64) -> Row {
        func pick<T>(_ choices: [T?]) -> T? { choices[Int(random.next() % UInt64(choices.count))] }
        return Row(
            district: pick(["north", "south", "west", nil]),
            age: pick([0, 120, 500, -3, Int(random.next() % 121), nil]),
            income: pick([0, 1_000_000, 7e9, -20, Double(random.next() % 1_000_000) + 0.37, nil]),
            insured: pick([true, false, nil]))
    }

    func sums(_ plan: Plan, _ rows: [Row]) throws -> [[Int64]] {
        let columns = ColumnSet(
            rowCount: rows.count,
            columns: [
                "district": ColumnVector(categories: rows.map(\.district)),
                "age": ColumnVector(integers: rows.map(\.age)),
                "income": ColumnVector(numbers: rows.map(\.income)),
                "insured": ColumnVector(booleans: rows.map(\.insured)),
            ])
        guard case .sums(let sums) = try Estimator.run(plan, on: columns).output else {
            Issue.record("the worker did not answer with sums")
            return []
        }
        // Over the declared levels, whatever the data holds.
        if !sums.dimensions.isEmpty { #expect(sums.dimensions[0].levels == ["north", "south"]) }
        return sums.figures
    }

    /// The terms and the plan (as privacy mode dp runs it) of spec `text` on the dataset of `policy`.
    static func planned(_ text: String, _ policy: Policy) throws -> (PrivacyTerms, Plan) {
        let spec = try ModelSpec(text: "dataset: survey\n" + text)
        let terms = try #require(try policy.privacyTerms(for: spec))
        return (terms, try policy.admit(spec).reading(terms))
    }

    /// The most each of `count` figures moved over `rounds` neighbours: `change` makes the next
    /// neighbour of the state `sums` reads; `afterwards` changes it unmeasured before the next.
    static func largestMoves(
        _ count: Int, rounds: Int, sums: () throws -> [[Int64]], afterwards: () -> Void = {}, change: () -> Void
    ) rethrows -> [Int64] {
        var largest = [Int64](repeating: 0, count: count)
        for _ in 0..<rounds {
            let before = try sums()
            change()
            let after = try sums()
            for figure in 0..<count {
                let moved = zip(before[figure], after[figure]).reduce(Int64(0)) { $0 + abs($1.0 - $1.1) }
                largest[figure] = max(largest[figure], moved)
            }
            afterwards()
        }
        return largest
    }

    @Test(arguments: [
        "model: crosstab\nrows: [district]\nmeasure: income\nstatistic: mean",
        "model: crosstab\nrows: [district]\nmeasure: age\nstatistic: sum\nwhere: [{ column: age, op: \">=\", value: 30 }]",
        "model: summary\nvariables: [age, income, insured]",
        "model: linear_regression\ntarget: income\nfeatures: [age, insured]",
    ])
    func noReplacedRowMovesAFigureBeyondItsSensitivity(_ text: String) throws {
        let (terms, plan) = try Self.planned(text, Self.policy)
        var random = SplitMix64(seed: 2026)
        var rows = (0..<60).map { _ in Self.anyRow(&random) }
        let largest = try Self.largestMoves(terms.figures.count, rounds: 1500, sums: { try sums(plan, rows) }) {
            rows[Int(random.next() % UInt64(rows.count))] = Self.anyRow(&random)
        }
        for (figure, found) in zip(terms.figures, largest) {
            #expect(found <= figure.sensitivity, "\(figure.name): moved \(found), sensitivity \(figure.sensitivity)")
        }
        // The worst replacements (a bound to the other, or to a missing value, or to the other
        // cell) were among those tried: each sum's bound is reached, so it is not loose.
        for (figure, found) in zip(terms.figures, largest) {
            if case .sum = figure.kind { #expect(found == figure.sensitivity, "\(figure.name)") }
        }
    }

    @Test func valuesBeyondTheBoundsCountAsTheBounds() throws {
        let spec = try ModelSpec(text: "dataset: survey\nmodel: summary\nvariables: [income]")
        let terms = try #require(try Self.policy.privacyTerms(for: spec))
        let plan = try Self.policy.admit(spec).reading(terms)
        let figures = try sums(
            plan, [Row(income: 7e9), Row(income: -20), Row(income: 250.5), Row(income: nil), Row(income: 1e6)])
        // Four rows used; 1,000,000 + 0 + 251 (halves away from zero) + 1,000,000, in units of 1;
        // squares in units of 1000: 10⁹ + 0 + 63 (251² = 63,001) + 10⁹.
        #expect(figures == [[4], [2_000_251], [2_000_000_063]])
    }

    // MARK: A unit of several rows

    static let unitPolicy = try! Policy(
        yaml: Fixtures.policyText.replacingOccurrences(
            of: "district:  { class: quasi-identifier, type: category }",
            with: "district:  { class: quasi-identifier, type: category, levels: [north, south] }")
            + "\nprivacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5, "
            + "unit: { column: person_id, maxRowsPerUnit: 3 } }")

    func sums(_ plan: Plan, _ rows: [Row], units: [String?]) throws -> [[Int64]] {
        var columns: [String: ColumnVector] = [
            "district": ColumnVector(categories: rows.map(\.district)),
            "age": ColumnVector(integers: rows.map(\.age)),
            "income": ColumnVector(numbers: rows.map(\.income)),
            "insured": ColumnVector(booleans: rows.map(\.insured)),
        ]
        columns["person_id"] = ColumnVector(categories: units)
        let raw = try Estimator.run(plan, on: ColumnSet(rowCount: rows.count, columns: columns))
        switch raw.output {
        case .sums(let sums): return sums.figures
        case .table(let table): return [table.cells.map { Int64($0.count) }]
        default: return []
        }
    }

    @Test func eachUnitKeepsItsFirstRowsAndNoMore() throws {
        let spec = try ModelSpec(text: "dataset: survey\nmodel: crosstab\nrows: [district]")
        let terms = try #require(try Self.unitPolicy.privacyTerms(for: spec))
        let plan = try Self.unitPolicy.admit(spec).reading(terms)
        // Household a has five rows (three kept: north, north, south), b two (south, south), one row
        // has no household (not used); a filter is applied before the bound.
        let rows = ["north", "north", "south", "south", "north", "south", "south", "north"].map {
            Row(district: $0, age: 30, income: 1, insured: true)
        }
        let units: [String?] = ["a", "a", "a", "a", "a", "b", "b", nil]
        #expect(try sums(plan, rows, units: units) == [[2, 3]])
        // Twice the row's sensitivity, three times over: a household moves three rows.
        #expect(terms.figures.map(\.sensitivity) == [6])
        var filtered = spec
        filtered.filters = [Filter(column: "district", op: .equal, value: .one("south"))]
        let plan2 = try Self.unitPolicy.admit(filtered).reading(terms)
        #expect(try sums(plan2, rows, units: units) == [[0, 4]])
    }

    @Test(arguments: [
        "model: crosstab\nrows: [district]",
        "model: crosstab\nrows: [district]\nmeasure: income\nstatistic: mean",
        "model: summary\nvariables: [age, income]",
    ])
    func noChangedUnitMovesAFigureBeyondItsSensitivity(_ text: String) throws {
        let (terms, plan) = try Self.planned(text, Self.unitPolicy)
        var random = SplitMix64(seed: 77)
        // Forty rows in ten households of one to seven rows.
        var rows = (0..<40).map { _ in Self.anyRow(&random) }
        var units: [String?] = (0..<40).map { _ in "h\(random.next() % 10)" }
        let largest = try Self.largestMoves(
            terms.figures.count, rounds: 800, sums: { try sums(plan, rows, units: units) },
            afterwards: {
                // Rows that lost their household join one again, so the test goes on with ten.
                for row in units.indices where units[row] == nil && random.next() % 4 == 0 {
                    units[row] = "h\(random.next() % 10)"
                }
            }
        ) {
            // Everything about one household's rows changes: values, and whether it names them.
            let household = "h\(random.next() % 10)"
            for row in rows.indices where units[row] == household {
                rows[row] = Self.anyRow(&random)
                if random.next() % 8 == 0 { units[row] = nil }
            }
        }
        for (figure, found) in zip(terms.figures, largest) {
            #expect(found <= figure.sensitivity, "\(figure.name): moved \(found), sensitivity \(figure.sensitivity)")
            #expect(found > figure.sensitivity / 3, "\(figure.name): the bound is far from reached: \(found)")
        }
    }

    // MARK: Signed ranges, integer and boolean dimensions

    /// Ranges across zero, wholly negative and not whole in quanta; dimensions of every kind.
    static let signedPolicy = try! Policy(
        yaml: """
            dataset: { id: survey, title: T, owner: o, openAttribute: conditional, citation: c }
            columns:
              district: { class: quasi-identifier, type: category, levels: [north, south] }
              band:     { class: quasi-identifier, type: integer, min: 1, max: 3 }
              flag:     { class: quasi-identifier, type: boolean }
              x:        { class: sensitive, type: number, min: -1, max: 1 }
              z:        { class: sensitive, type: number, min: -3.33, max: 7.77 }
              w:        { class: ordinary, type: integer, min: -50, max: -20 }
            models: [summary, crosstab, linear_regression]
            privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }
            """)

    struct SignedRow {
        var district: String?
        var band: Int?
        var flag: Bool?
        var x: Double?
        var z: Double?
        var w: Int?
    }

    static func anySignedRow(_ random: inout SplitMix64) -> SignedRow {
        func pick<T>(_ choices: [T?]) -> T? { choices[Int(random.next() % UInt64(choices.count))] }
        let u = Double(random.next() % 1_000_001) / 1_000_000
        return SignedRow(
            district: pick(["north", "south", "east", nil]), band: pick([1, 2, 3, 4, nil]),
            flag: pick([true, false, nil]),
            x: pick([-1, 1, -5, .nan, .infinity, -.infinity, 0.0000005, 2 * u - 1, nil]),
            z: pick([-3.33, 7.77, -3.330001, 7.7700004, -1e300, 1e300, 11 * u - 3.3, nil]),
            w: pick([-50, -20, -35, 0, nil]))
    }

    @Test(arguments: [
        "model: crosstab\nrows: [band, flag]\nmeasure: z\nstatistic: mean",
        "model: crosstab\nrows: [district]\ncolumns: [band]\nmeasure: w\nstatistic: sum",
        "model: summary\nvariables: [x, z, w]",
        "model: linear_regression\ntarget: z\nfeatures: [x, w, flag]",
        "model: linear_regression\ntarget: x\nfeatures: [z]\nclamp: { z: [-0.123456, 0.5555555] }",
    ])
    func signedRangesAndEveryKindOfDimensionKeepTheBound(_ text: String) throws {
        let (terms, plan) = try Self.planned(text, Self.signedPolicy)
        func sums(_ rows: [SignedRow]) throws -> [[Int64]] {
            let columns = ColumnSet(
                rowCount: rows.count,
                columns: [
                    "district": ColumnVector(categories: rows.map(\.district)),
                    "band": ColumnVector(integers: rows.map(\.band)), "flag": ColumnVector(booleans: rows.map(\.flag)),
                    "x": ColumnVector(numbers: rows.map(\.x)), "z": ColumnVector(numbers: rows.map(\.z)),
                    "w": ColumnVector(integers: rows.map(\.w)),
                ])
            guard case .sums(let sums) = try Estimator.run(plan, on: columns).output else { return [] }
            return sums.figures
        }
        var random = SplitMix64(seed: 99)
        var rows = (0..<40).map { _ in Self.anySignedRow(&random) }
        let largest = try Self.largestMoves(terms.figures.count, rounds: 3000, sums: { try sums(rows) }) {
            rows[Int(random.next() % UInt64(rows.count))] = Self.anySignedRow(&random)
        }
        // Never beyond, and every bound reached (counts, sums and products alike): the formula is
        // neither too small nor loose.
        for (figure, found) in zip(terms.figures, largest) {
            #expect(found == figure.sensitivity, "\(figure.name): moved \(found), sensitivity \(figure.sensitivity)")
        }
    }
}
