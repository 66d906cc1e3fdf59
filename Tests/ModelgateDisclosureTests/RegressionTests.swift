import Foundation
import ModelgateDisclosure
import ModelgateEstimators
import ModelgateParsing
import ModelgateTestSupport
import Testing

@testable import ModelgateCore

@Suite struct LinearRegressionTests {
    @Test func simpleRegressionMatchesTheClosedForm() throws {
        // x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6: slope 0.6, intercept 2.2, RSS 2.4, TSS 6.
        let columns = [
            "income": ColumnVector(numbers: [2, 4, 5, 4, 5]),
            "age": ColumnVector(integers: [1, 2, 3, 4, 5]),
        ]
        let raw = try estimate("model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [age]", columns)
        guard case .regression(let fit) = raw.output else { Issue.record("not a regression"); return }
        #expect(fit.terms == ["(intercept)", "age"])
        #expect(approximately(fit.estimates[0], 2.2))
        #expect(approximately(fit.estimates[1], 0.6))
        // s² = 2.4 / 3 = 0.8; se(slope) = √(s²/Sxx); se(intercept) = √(s²(1/n + x̄²/Sxx)).
        #expect(approximately(fit.standardErrors[1], (0.08).squareRoot()))
        #expect(approximately(fit.standardErrors[0], (0.8 * (0.2 + 0.9)).squareRoot()))
        #expect(approximately(fit.rSquared, 0.6))
        #expect(fit.degreesOfFreedom == 3)
        // Leverage 1/n + (x − x̄)²/Sxx is largest at x = 1 and 5: 0.2 + 4/10.
        #expect(approximately(fit.maximumLeverage, 0.6))
        // scipy: 2 * t.sf(0.6 / √0.08, 3).
        #expect(approximately(fit.pValues[1], 0.1240270626575546, relative: 1e-8))
        // The 95 % interval: 0.6 ∓ t(0.975, 3) · √0.08, with scipy's t.ppf(0.975, 3) = 3.182446305284263;
        // it holds 0 as the p-value above 0.05 says.
        let released = ReleasedRegression(fit)
        let half = 3.182446305284263 * (0.08).squareRoot()
        #expect(approximately(released.coefficients[1].ci95Low, 0.6 - half, relative: 1e-9))
        #expect(approximately(released.coefficients[1].ci95High, 0.6 + half, relative: 1e-9))
        #expect(released.coefficients[1].ci95Low! < 0)
    }

    @Test func categoryFeatureIsDummyCodedAgainstTheAlphabeticalFirstLevel() throws {
        // Group means a 2, b 11, c 6; every group has deviations ±1.
        let columns = [
            "income": ColumnVector(numbers: [10, 12, 1, 3, 5, 7]),
            "sector": ColumnVector(categories: ["b", "b", "a", "a", "c", "c"]),
        ]
        let raw = try estimate("model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [sector]", columns)
        guard case .regression(let fit) = raw.output else { return }
        #expect(fit.terms == ["(intercept)", "sector=b", "sector=c"])
        #expect(approximately(fit.estimates[0], 2))
        #expect(approximately(fit.estimates[1], 9))
        #expect(approximately(fit.estimates[2], 4))
        // s² = 6 / 3 = 2: se(intercept) = √(2/2), se(difference) = √(2(1/2 + 1/2)).
        #expect(approximately(fit.standardErrors[0], 1))
        #expect(approximately(fit.standardErrors[1], 2.0.squareRoot()))
        #expect(fit.smallestGroup == 2)
    }

    @Test func everyLevelGetsATermAndTheSmallestGroupIsReported() throws {
        let columns = [
            "income": ColumnVector(numbers: [1, 2, 3, 4, 5, 6]),
            "sector": ColumnVector(categories: ["a", "b", "b", "c", "c", "c"]),
            "age": ColumnVector(integers: [10, 50, 50, 50, 50, 50]),
        ]
        let raw = try estimate(
            "model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [sector]\nwhere: [{column: age, op: '>', value: 20}]",
            columns)
        guard case .regression(let fit) = raw.output else { return }
        // Terms come from the dataset's levels, not from the selected rows, so they tell nothing;
        // "a" is only in the filtered-out row, which the smallest group shows to the checker.
        #expect(fit.terms == ["(intercept)", "sector=b", "sector=c"])
        #expect(fit.smallestGroup == 2)
        #expect(fit.hasEmptyGroup)
    }

    @Test func aCategoryFeatureWithoutLevelsIsRefusedNotACrash() throws {
        let columns = [
            "income": ColumnVector(numbers: [1, 2, 3]),
            "sector": ColumnVector(categories: [nil, nil, nil]),
        ]
        #expect(throws: Refusal.self) {
            _ = try estimate("model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [sector]", columns)
        }
    }

    @Test func anIntegerFeatureWithFewValuesIsHeldToTheThresholdLikeACategory() throws {
        // 200 rows of 3 and 8 rows of 8: the fit at 8 is those 8 rows' mean, and the standard
        // errors would give away that there are 8. Refused as a small group.
        let sizes = Array(repeating: 3, count: 200) + Array(repeating: 8, count: 8)
        let columns = [
            "income": ColumnVector(numbers: sizes.indices.map { Double($0 % 17) }),
            "age": ColumnVector(integers: sizes),
        ]
        let raw = try estimate("model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [age]", columns)
        guard case .regression(let fit) = raw.output else { return }
        #expect(fit.smallestGroup == 8)
        guard case .refused(let refusal, _) = OutputChecker(rules: DisclosureRules(), order: .forTests).check(raw)
        else {
            Issue.record("released")
            return
        }
        #expect(refusal.code == .belowThreshold)
    }

    /// Rows of every combination of two two-valued features; the fit gives away the joint counts
    /// through XᵀX, and with an empty combination each remaining one's exact mean.
    func twoByTwo(_ counts: [[Int]], target: [Double]? = nil) throws -> RawResult {
        var ages: [Int?] = []
        var sizes: [Int?] = []
        for (a, row) in counts.enumerated() {
            for (b, count) in row.enumerated() {
                ages += Array(repeating: [49, 52][a], count: count)
                sizes += Array(repeating: [6, 7][b], count: count)
            }
        }
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "household", columnClass: .ordinary, type: .integer))
        let columns = [
            "income": ColumnVector(numbers: ages.indices.map { Double(($0 * 31) % 97) }),
            "age": ColumnVector(integers: ages), "household": ColumnVector(integers: sizes),
        ]
        return try estimate(
            "model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [age, household]", columns,
            policy: policy)
    }

    @Test func aSmallTwoWayCombinationOfFeaturesIsRefused() throws {
        let checker = OutputChecker(rules: DisclosureRules(), order: .forTests)
        func code(_ raw: RawResult) -> Refusal.Code? {
            if case .refused(let refusal, _) = checker.check(raw) { return refusal.code }
            return nil
        }
        // Every value alone has at least 18 rows; the combination (49, 7) has 8.
        #expect(code(try twoByTwo([[10, 8], [13, 40]])) == .belowThreshold)
        // An empty combination lets the fit give each other one its own mean.
        #expect(code(try twoByTwo([[10, 20], [13, 0]])) == .belowThreshold)
        #expect(code(try twoByTwo([[30, 20], [13, 40]])) == nil)
    }

    @Test func anIntegerTargetWithFewValuesIsSplitLikeAnOutcome() throws {
        // Sector b: 15 people, none with a visit; a linear fit would give that group mean 0.
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "visits", columnClass: .sensitive, type: .integer))
        let visits = (0..<40).map { $0 % 2 } + Array(repeating: 0, count: 15)
        let sector = Array(repeating: "a", count: 40) + Array(repeating: "b", count: 15)
        let raw = try estimate(
            "model: linear_regression\ndataset: survey\ntarget: visits\nfeatures: [sector]",
            ["visits": ColumnVector(integers: visits), "sector": ColumnVector(categories: sector)], policy: policy)
        guard case .regression(let fit) = raw.output else { return }
        #expect(fit.hasEmptyGroup)
    }

    /// One- and two-byte integer columns (as ingest stores small integers) find their values by
    /// a table, eight-byte ones by searching the values met: the fit, its groups and every row's
    /// label are the same at every width, negative values included.
    @Test(arguments: ["linear_regression", "logistic_regression"])
    func aFewValuedIntegerFeatureGroupsAlikeAtEveryWidth(model: String) throws {
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "household", columnClass: .ordinary, type: .integer))
        let sizes = (0..<600).map { [-2, 0, 3, 5, 127, -128][($0 * 7 + $0 / 5) % 6] }
        let income = ColumnVector(numbers: sizes.indices.map { Double(($0 * 31) % 97) + Double(sizes[$0]) })
        let insured = ColumnVector(booleans: sizes.indices.map { ($0 * 13) % 7 < 3 })
        let plan = try policy.admit(
            try ModelSpec(
                text:
                    "model: \(model)\ndataset: survey\ntarget: \(model == "linear_regression" ? "income" : "insured")\n"
                    + "features: [household]"))
        func run(_ household: ColumnVector) throws -> (RawResult, [UInt32]) {
            var labels = [UInt32](repeating: 0, count: sizes.count)
            let columns = ColumnSet(
                rowCount: sizes.count, columns: ["income": income, "insured": insured, "household": household])
            let raw = try labels.withUnsafeMutableBufferPointer {
                try Estimator.run(plan, on: columns, labels: $0.baseAddress!)
            }
            return (raw, labels)
        }
        func stored<T: FixedWidthInteger>(_: T.Type) -> ColumnVector {
            let memory = OwnedBytes(sizes.map { T(truncatingIfNeeded: $0) })
            return ColumnVector(
                count: sizes.count, storage: .integers(memory.base, width: MemoryLayout<T>.size), validity: nil,
                owner: memory)
        }
        let (wide, wideLabels) = try run(ColumnVector(integers: sizes))
        guard case .regression(let fit) = wide.output else { throw Refusal("test", "not a regression") }
        // The six values are groups held to the threshold, the smallest of them counted here.
        let smallest = Dictionary(grouping: sizes, by: { $0 }).values.map(\.count).min()
        #expect(model == "linear_regression" ? fit.smallestGroup == smallest : fit.smallestGroup != nil)
        #expect(!fit.groupContributions.isEmpty)
        for narrow in [stored(Int8.self), stored(Int16.self)] {
            let (raw, labels) = try run(narrow)
            #expect(raw == wide)
            #expect(labels == wideLabels)
        }
    }

    @Test func anIntegerFeatureWithManyValuesIsLeftToTheLeverageRule() throws {
        let ages = (0..<300).map { 20 + $0 % 40 }
        let columns = [
            "income": ColumnVector(numbers: ages.indices.map { Double($0 % 13) }),
            "age": ColumnVector(integers: ages),
        ]
        let raw = try estimate("model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [age]", columns)
        guard case .regression(let fit) = raw.output else { return }
        #expect(fit.smallestGroup == nil)
    }

    @Test func featureOrderDoesNotChangeTheFit() throws {
        let rows = 60
        let columns = [
            "income": ColumnVector(
                numbers: (0..<rows).map { (row: Int) -> Double? in Double((row * 37) % 101 + (row % 3) * 10) }),
            "sector": ColumnVector(categories: (0..<rows).map { (row: Int) -> String? in ["a", "b", "c"][row % 3] }),
            "age": ColumnVector(integers: (0..<rows).map { (row: Int) -> Int? in 20 + (row * 7) % 45 }),
        ]
        func estimates(_ features: String) throws -> [String: Double] {
            let raw = try estimate(
                "model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [\(features)]", columns)
            guard case .regression(let fit) = raw.output, fit.isWellDefined else { return [:] }
            return Dictionary(uniqueKeysWithValues: zip(fit.terms, fit.estimates))
        }
        let categoryFirst = try estimates("sector, age")
        let numericFirst = try estimates("age, sector")
        #expect(categoryFirst.count == 4)
        for (term, value) in numericFirst { #expect(approximately(categoryFirst[term], value, relative: 1e-9)) }
    }

    @Test func collinearFeaturesAreNotWellDefined() throws {
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "age2", columnClass: .ordinary, type: .integer))
        let columns = [
            "income": ColumnVector(numbers: [1, 3, 2, 5, 4, 6]),
            "age": ColumnVector(integers: [1, 2, 3, 4, 5, 6]),
            "age2": ColumnVector(integers: [2, 4, 6, 8, 10, 12]),
        ]
        let raw = try estimate(
            "model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [age, age2]", columns, policy: policy)
        guard case .regression(let fit) = raw.output else { return }
        #expect(fit.isWellDefined == false)
        #expect(fit.problem?.contains("collinear") == true)
    }
}

@Suite struct LogisticRegressionTests {
    /// Sector a: 10 insured of 30; sector b: 15 of 20.
    func twoGroups() throws -> RawRegression {
        var insured: [Bool?] = []
        var sector: [String?] = []
        for (x, yes, total) in [("a", 10, 30), ("b", 15, 20)] {
            for i in 0..<total {
                insured.append(i < yes)
                sector.append(x)
            }
        }
        let raw = try estimate(
            "model: logistic_regression\ndataset: survey\ntarget: insured\nfeatures: [sector]",
            ["insured": ColumnVector(booleans: insured), "sector": ColumnVector(categories: sector)])
        guard case .regression(let fit) = raw.output else { throw Refusal("test", "not a regression") }
        return fit
    }

    @Test func binaryFeatureGivesLogOddsAndWoolfStandardErrors() throws {
        let fit = try twoGroups()
        #expect(fit.isWellDefined)
        #expect(approximately(fit.estimates[0], log(10.0 / 20), relative: 1e-8))
        #expect(approximately(fit.estimates[1], log(6.0), relative: 1e-8))
        #expect(approximately(fit.standardErrors[0], (1.0 / 10 + 1.0 / 20).squareRoot(), relative: 1e-8))
        #expect(
            approximately(
                fit.standardErrors[1], (1.0 / 10 + 1.0 / 20 + 1.0 / 15 + 1.0 / 5).squareRoot(), relative: 1e-8))
        let logLikelihood = 10 * log(1.0 / 3) + 20 * log(2.0 / 3) + 15 * log(0.75) + 5 * log(0.25)
        #expect(approximately(fit.logLikelihood, logLikelihood, relative: 1e-10))
    }

    @Test func leverageOfTheLogitIsWeightedByEachRowsVariance() throws {
        // One binary feature: every row of a group has leverage μ(1−μ)·(1/(n μ(1−μ))) = 1/n_group,
        // largest in the smaller group of 20.
        let fit = try twoGroups()
        #expect(approximately(fit.maximumLeverage, 1.0 / 20, relative: 1e-8))
        // Sector b splits 15 insured to 5 not: the smallest group is those 5.
        #expect(fit.smallestGroup == 5)
    }

    @Test func aGroupOfOneOutcomeIsRefusedAsSmallNotAsADegenerateFit() throws {
        // Sector b: 12 people, all insured. A degenerate_fit refusal would say so; the group
        // check refuses first, whatever the fit does.
        let insured =
            Array(repeating: false, count: 20) + Array(repeating: true, count: 20) + Array(repeating: true, count: 12)
        let sector = Array(repeating: "a", count: 40) + Array(repeating: "b", count: 12)
        let raw = try estimate(
            "model: logistic_regression\ndataset: survey\ntarget: insured\nfeatures: [sector]",
            ["insured": ColumnVector(booleans: insured), "sector": ColumnVector(categories: sector)])
        guard case .regression(let fit) = raw.output else { return }
        #expect(fit.hasEmptyGroup)
        guard case .refused(let refusal, _) = OutputChecker(rules: DisclosureRules(), order: .forTests).check(raw)
        else {
            Issue.record("released")
            return
        }
        #expect(refusal.code == .belowThreshold)
    }

    /// Sector a: 20 people with incomes 100, 110, …, 290; sector b: the 12 given.
    func sectors(b incomes: [Double]) -> [String: ColumnVector] {
        [
            "income": ColumnVector(numbers: (0..<20).map { 100 + 10 * Double($0) } + incomes),
            "sector": ColumnVector(
                categories: Array(repeating: "a", count: 20) + Array(repeating: "b", count: incomes.count)),
        ]
    }

    /// The released fit of income on sector (or its refusal), and the mean-income table that a
    /// researcher could ask for instead, both through the output checker.
    func fitAndTable(_ columns: [String: ColumnVector]) throws -> (
        fit: RawRegression, checked: CheckedOutput, table: ReleasedTable?
    ) {
        let raw = try estimate("model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [sector]", columns)
        guard case .regression(let fit) = raw.output else { throw Refusal(.invalidSpec, "not a regression") }
        let means = try estimate(
            "model: crosstab\ndataset: survey\nrows: [sector]\nmeasure: income\nstatistic: mean", columns)
        guard
            case .released(.table(let table), _) = OutputChecker(rules: DisclosureRules(), order: .forTests).check(
                means)
        else {
            return (fit, OutputChecker(rules: DisclosureRules(), order: .forTests).check(raw), nil)
        }
        return (fit, OutputChecker(rules: DisclosureRules(), order: .forTests).check(raw), table)
    }

    @Test func aGroupWhoseRowsShareOneValueIsNoCoefficientEither() throws {
        // All 12 of sector b earn 300: a table of mean income by sector withholds b for group
        // disclosure. Positive control: intercept + the b coefficient is b's mean, 300, which
        // tells each of them their income.
        let (fit, checked, table) = try fitAndTable(sectors(b: Array(repeating: 300, count: 12)))
        #expect(approximately(fit.estimates[0] + fit.estimates[1], 300, relative: 1e-9))
        #expect(table?.cells.first { $0.keys["sector"] == "b" }?.suppressed == true)
        guard case .refused(let refusal, let report) = checked else {
            Issue.record("released")
            return
        }
        #expect(refusal.code == .groupDisclosure)
        #expect(report.rules.first { $0.rule == DisclosureRule.groupDisclosure }?.outcome == .fail)
        // Twelve different incomes: released.
        let (_, varied, _) = try fitAndTable(sectors(b: (0..<12).map { 300 + Double($0) }))
        #expect(varied.report.verdict == .pass)
    }

    @Test func aGroupOneIncomeDominatesIsNoCoefficientEither() throws {
        // Sector b: one income of 900,000 beside eleven of 1,000 (99% of the sum): the table
        // withholds b's mean for dominance; the coefficient gives the same mean, 75,916.67, and
        // with it (the group's size and the others' being public enough) the top income.
        let incomes = [900_000] + Array(repeating: 1_000.0, count: 11)
        let (fit, checked, table) = try fitAndTable(sectors(b: incomes))
        #expect(approximately(fit.estimates[0] + fit.estimates[1], 911_000 / 12, relative: 1e-9))
        #expect(table?.cells.first { $0.keys["sector"] == "b" }?.suppressed == true)
        guard case .refused(let refusal, _) = checked else {
            Issue.record("released")
            return
        }
        #expect(refusal.code == .dominance)
    }

    @Test func aGroupSumIsNoCoefficientWithTheRolesSwappedEither() throws {
        // The insured: one income of 900,000 beside eleven of 1,000; the uninsured: twenty
        // incomes from 800,000 to 990,000, so 900,000 is ordinary in the whole sample (low
        // leverage). Income on insured is refused for dominance; insured on income puts income
        // in XᵀX instead, whose entry Σ income over the insured is the same dominated sum.
        let incomes = (0..<20).map { 800_000 + 10_000 * Double($0) } + [900_000] + Array(repeating: 1_000, count: 11)
        let insured = Array(repeating: false, count: 20) + Array(repeating: true, count: 12)
        let columns = ["income": ColumnVector(numbers: incomes), "insured": ColumnVector(booleans: insured)]
        let checker = OutputChecker(rules: DisclosureRules(), order: .forTests)
        let direct = try estimate(
            "model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [insured]", columns)
        #expect(checker.check(direct).report.verdict == .refused)
        let swapped = try estimate(
            "model: linear_regression\ndataset: survey\ntarget: insured\nfeatures: [income]", columns)
        guard case .regression(let fit) = swapped.output else { return }
        // Positive control: from n, the slope, the intercept, the mean and the standard deviation
        // of income (a summary gives both), Σ income over the insured = β₁(n − 1)s² + n₁x̄, with
        // n₁ = n(β₀ + β₁x̄): 911,000, the dominated sum.
        let n = Double(incomes.count)
        let mean = incomes.reduce(0, +) / n
        let variance = incomes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let insuredCount = n * (fit.estimates[0] + fit.estimates[1] * mean)
        let sum = fit.estimates[1] * (n - 1) * variance + insuredCount * mean
        #expect(abs(sum - 911_000) < 1e-3)
        guard case .refused(let refusal, _) = checker.check(swapped) else {
            Issue.record("released")
            return
        }
        #expect(refusal.code == .dominance)
    }

    @Test func aSmallGroupOfANumberFeatureWithTwoValuesIsHeldToTheThreshold() throws {
        // A 0/1 flag stored as a number: seven people flagged, too few to keep each one's
        // leverage (1/7) above the limit. Positive control: intercept + slope is their mean income.
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "flag", columnClass: .ordinary, type: .number))
        let incomes = (0..<30).map { 1_000 + 37 * Double($0 % 11) } + [5_000, 5_100, 5_300, 5_600, 6_000, 6_500, 7_100]
        let flags = Array(repeating: 0.0, count: 30) + Array(repeating: 1.0, count: 7)
        let raw = try estimate(
            "model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [flag]",
            ["income": ColumnVector(numbers: incomes), "flag": ColumnVector(numbers: flags)], policy: policy)
        guard case .regression(let fit) = raw.output else { return }
        #expect(approximately(fit.estimates[0] + fit.estimates[1], incomes.suffix(7).reduce(0, +) / 7, relative: 1e-9))
        #expect((fit.maximumLeverage ?? 1) <= DisclosureRules().maxLeverage)
        #expect(fit.smallestGroup == 7)
        guard case .refused(let refusal, _) = OutputChecker(rules: DisclosureRules(), order: .forTests).check(raw)
        else {
            Issue.record("released")
            return
        }
        #expect(refusal.code == .belowThreshold)
    }

    /// Deterministic data for the dense path's checks: `rows` people with an age, an income, a
    /// 0/1 flag and the same flag as a two-level sector, number features `x1`…`x4`, a single-level
    /// category `all`, and an outcome drawn from a logit in all of them.
    func mixedDesign(rows: Int) -> (columns: [String: ColumnVector], policy: Policy) {
        var policy = Fixtures.policy
        for name in ["flag", "x1", "x2", "x3", "x4"] {
            policy.columns.append(ColumnPolicy(name: name, columnClass: .ordinary, type: .number))
        }
        policy.columns.append(ColumnPolicy(name: "all", columnClass: .ordinary, type: .category))
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var age: [Int] = []
        var income: [Double] = []
        var flag: [Double] = []
        var x: [[Double]] = [[], [], [], []]
        var insured: [Bool] = []
        for _ in 0..<rows {
            age.append(20 + Int(uniform() * 50))
            income.append(10_000 + (uniform() * 90_000).rounded())
            flag.append(uniform() < 0.4 ? 1 : 0)
            for j in 0..<4 { x[j].append(uniform() * Double(j + 1) - 0.5) }
            let eta =
                -2 + 0.03 * Double(age.last!) + 1e-5 * income.last! - 0.7 * flag.last! + 0.5 * x[0].last!
                - 0.3 * x[1].last! + 0.2 * x[2].last! - 0.1 * x[3].last!
            insured.append(uniform() < 1 / (1 + exp(-eta)))
        }
        let columns = [
            "age": ColumnVector(integers: age), "income": ColumnVector(numbers: income),
            "flag": ColumnVector(numbers: flag), "sector": ColumnVector(categories: flag.map { $0 == 1 ? "b" : "a" }),
            "x1": ColumnVector(numbers: x[0]), "x2": ColumnVector(numbers: x[1]), "x3": ColumnVector(numbers: x[2]),
            "x4": ColumnVector(numbers: x[3]), "all": ColumnVector(categories: Array(repeating: "one", count: rows)),
            "insured": ColumnVector(booleans: insured),
        ]
        return (columns, policy)
    }

    func fit(_ model: String, _ target: String, _ features: [String], _ data: [String: ColumnVector], _ policy: Policy)
        throws -> RawRegression
    {
        let yaml =
            "model: \(model)\ndataset: survey\ntarget: \(target)\nfeatures: [\(features.joined(separator: ", "))]"
        guard case .regression(let fit) = try estimate(yaml, data, policy: policy).output else {
            throw Refusal("test", "not a regression")
        }
        return fit
    }

    /// Two fits of one model: every figure the release shows, and the leverage, agree.
    func expectSame(_ dense: RawRegression, _ sparse: RawRegression, relative: Double = 1e-9) {
        #expect(dense.isWellDefined && sparse.isWellDefined)
        #expect(dense.estimates.count == sparse.estimates.count)
        for (a, b) in zip(dense.estimates, sparse.estimates) { #expect(approximately(a, b, relative: relative)) }
        for (a, b) in zip(dense.standardErrors, sparse.standardErrors) {
            #expect(approximately(a, b, relative: relative))
        }
        if let logLikelihood = sparse.logLikelihood {
            #expect(approximately(dense.logLikelihood, logLikelihood, relative: relative))
        } else {
            #expect(dense.logLikelihood == nil)
        }
        #expect(approximately(dense.maximumLeverage, sparse.maximumLeverage ?? .nan, relative: relative))
    }

    @Test(arguments: ["logistic_regression", "linear_regression"])
    func numericFeaturesTakeTheDenseLoopsAndAgreeWithTheSparseVisit(model: String) throws {
        // A design of numeric features only takes the dense loops; a single-level category adds no
        // term but sends the same model through the sparse row visit. Four terms (one vector of
        // four lanes) and seven (eight lanes).
        let (data, policy) = mixedDesign(rows: 600)
        let target = model == "logistic_regression" ? "insured" : "income"
        for features in [["age", "flag", "x1"], ["age", "flag", "x1", "x2", "x3", "x4"]] {
            let numeric = features.filter { $0 != target }
            let dense = try fit(model, target, numeric, data, policy)
            let sparse = try fit(model, target, numeric + ["all"], data, policy)
            #expect(dense.terms == sparse.terms)
            expectSame(dense, sparse)
        }
        // A two-level category beside numeric features (sparse) is the same model as its 0/1
        // number (dense): the same estimates, term for term.
        let dense = try fit(model, target, ["age", "flag", "x1"], data, policy)
        let sparse = try fit(model, target, ["age", "sector", "x1"], data, policy)
        #expect(sparse.terms == ["(intercept)", "age", "sector=b", "x1"])
        expectSame(dense, sparse)
    }

    @Test func theDenseLoopsAgreeWithTheSparseVisitOnAWarmStartedFit() throws {
        // From ``LogisticRegression/warmSampleRows`` sixteen times over, the fit first converges on
        // every 16th block of rows; both paths must still land on the same full-data optimum.
        let (data, policy) = mixedDesign(rows: 210_000)
        let dense = try fit("logistic_regression", "insured", ["age", "income", "flag"], data, policy)
        let sparse = try fit("logistic_regression", "insured", ["age", "income", "flag", "all"], data, policy)
        expectSame(dense, sparse, relative: 1e-8)
    }

    /// Rows whose order repeats with the warm start's sample (every 16th block of 256): in the
    /// sampled blocks the outcome follows x almost exactly, elsewhere loosely and the other way.
    /// The sample's fit is a poor start (the full data's Newton fails from it); the fit starts
    /// again from zero and lands on the full data's optimum, where the score Xᵀ(y − μ) is zero.
    @Test func aWarmStartFromAnUnlikeSampleFallsBackToAColdOne() throws {
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "x1", columnClass: .ordinary, type: .number))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let rows = 250_000
        var x: [Double] = []
        var y: [Bool] = []
        for row in 0..<rows {
            let value = 4 * uniform() - 2
            let eta = (row / 256) % 16 == 0 ? 30 * value : 0.2 - value
            x.append(value)
            y.append(uniform() < 1 / (1 + exp(-eta)))
        }
        let columns = ["x1": ColumnVector(numbers: x), "insured": ColumnVector(booleans: y)]
        let raw = try estimate(
            "model: logistic_regression\ndataset: survey\ntarget: insured\nfeatures: [x1]", columns, policy: policy)
        guard case .regression(let fit) = raw.output else { throw Refusal("test", "not a regression") }
        #expect(fit.isWellDefined, "\(fit.problem ?? "")")
        var (score0, score1) = (0.0, 0.0)
        for row in 0..<rows {
            let mu = 1 / (1 + exp(-(fit.estimates[0] + fit.estimates[1] * x[row])))
            score0 += (y[row] ? 1 : 0) - mu
            score1 += x[row] * ((y[row] ? 1 : 0) - mu)
        }
        #expect(abs(score0) < 1e-6 && abs(score1) < 1e-6, "score \(score0), \(score1)")
    }

    @Test func perfectSeparationIsNotWellDefined() throws {
        let raw = try estimate(
            "model: logistic_regression\ndataset: survey\ntarget: insured\nfeatures: [age]",
            [
                "insured": ColumnVector(booleans: [false, false, false, true, true, true]),
                "age": ColumnVector(integers: [20, 21, 22, 60, 61, 62]),
            ])
        guard case .regression(let fit) = raw.output else { return }
        #expect(fit.isWellDefined == false)
    }
}

/// Values of one integer type in memory of their own, kept while a column reads them.
final class OwnedBytes<T> {
    let base: UnsafeRawPointer
    init(_ values: [T]) {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
        pointer.initialize(from: values, count: values.count)
        base = UnsafeRawPointer(pointer)
    }
    deinit { base.deallocate() }
}
