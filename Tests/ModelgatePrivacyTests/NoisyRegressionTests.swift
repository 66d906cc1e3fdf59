import ModelgateCore
import ModelgateEstimators
import ModelgateParsing
import ModelgateTestSupport
import Testing

@testable import ModelgatePrivacy

/// The normal equations a dp regression solves, read from the worker's sums in fixed point, give
/// the exact least-squares fit when no noise is added; and the noise error it states covers the
/// noise it has.
@Suite struct NoisyRegressionTests {
    static let exact = Fixtures.policy
    static let dp = try! Policy(
        yaml: Fixtures.policyText
            + "\nprivacy: { mode: dp, datasetEpsilon: 1000, agreementEpsilon: 1000, maxEpsilonPerJob: 1000 }")
    static let spec = try! ModelSpec(
        text: "dataset: survey\nmodel: linear_regression\ntarget: income\nfeatures: [age, insured]")

    /// Whole-number ages and incomes within the bounds, so fixed point loses nothing but the
    /// halves of squared incomes' thousands.
    static func columns(rows: Int, seed: UInt64) -> ColumnSet {
        var random = SplitMix64(seed: seed)
        var ages: [Int?] = []
        var insured: [Bool?] = []
        var incomes: [Double?] = []
        for _ in 0..<rows {
            let age = Int(random.next() % 100) + 18
            let covered = random.next() % 3 == 0
            ages.append(age)
            insured.append(covered)
            incomes.append(Double(20_000 + 600 * age + (covered ? 9000 : 0) + Int(random.next() % 30_000)))
        }
        return ColumnSet(
            rowCount: rows,
            columns: [
                "age": ColumnVector(integers: ages), "insured": ColumnVector(booleans: insured),
                "income": ColumnVector(numbers: incomes),
            ])
    }

    @Test func withoutNoiseTheSufficientStatisticsGiveTheExactFit() throws {
        let columns = Self.columns(rows: 500, seed: 11)
        guard case .regression(let exact) = try Estimator.run(try Self.exact.admit(Self.spec), on: columns).output
        else {
            Issue.record("no exact fit")
            return
        }
        let terms = try #require(try Self.dp.privacyTerms(for: Self.spec))
        let plan = try Self.dp.admit(Self.spec).reading(terms)
        guard case .sums(let sums) = try Estimator.run(plan, on: columns).output else {
            Issue.record("no sums")
            return
        }
        let solved = try #require(
            NoisyRegression.solve(sums.figures.map { $0[0] }, units: terms.figures.map(\.unit), features: 2))
        for (found, expected) in zip(solved, exact.estimates) {
            #expect(abs(found - expected) <= 1e-6 * max(1, abs(expected)), "\(found) vs \(expected)")
        }
    }

    @Test func theStatedNoiseErrorCoversTheNoise() throws {
        // Large ε, so the fit is near the exact one; over 300 fits, the estimate of age's slope
        // is within its stated 95 % noise error about 285 times (binomial, spread 3.8: 265 to 299
        // but with a chance near 10⁻⁶), neither understated nor overstated.
        let columns = Self.columns(rows: 2000, seed: 12)
        var spec = Self.spec
        spec.epsilon = MicroEpsilon(text: "200")
        guard case .regression(let exact) = try Estimator.run(try Self.exact.admit(spec), on: columns).output else {
            return
        }
        let terms = try #require(try Self.dp.privacyTerms(for: spec))
        guard case .sums(let sums) = try Estimator.run(try Self.dp.admit(spec).reading(terms), on: columns).output,
            case .linearRegression(let task) = spec.task
        else { return }
        var covered = 0
        var bits = SystemRandomBits()
        for _ in 0..<300 {
            let fit = try #require(NoisyRegression.fit(sums, task: task, terms: terms, using: &bits))
            let age = fit.coefficients[1]
            #expect(age.term == "age" && age.stdError == nil)
            if abs(age.estimate - exact.estimates[1]) <= (age.noise95 ?? 0) { covered += 1 }
        }
        #expect(covered >= 265 && covered < 300, "\(covered) of 300 within the stated noise error")
    }
}
