import Foundation
import ModelgateParsing
import ModelgateTestSupport
import Testing

@testable import ModelgateCore

/// Privacy mode dp in the policy and at admission: ε read exactly, budgets nested, bounds that
/// come from the policy only, and what a dp dataset refuses before anything runs.
@Suite struct PrivacyPolicyTests {
    @Test func epsilonIsReadExactlyInMillionths() {
        let table: [(String, Int64?)] = [
            ("0.1", 100_000), ("2", 2_000_000), ("1e-3", 1000), ("0.10", 100_000), (".5", 500_000), ("5.", 5_000_000),
            ("0.000001", 1), ("1000000", 1_000_000_000_000), (" 0.3 ", 300_000), ("1E2", 100_000_000),
            ("0.0000001", nil), ("-1", nil), ("+1", nil), ("abc", nil), ("1e7", nil), ("", nil), (".", nil),
            ("1.2.3", nil), ("0x10", nil), ("nan", nil), ("inf", nil), ("1e", nil),
        ]
        for (text, micros) in table {
            #expect(MicroEpsilon(text: text)?.micros == micros, "'\(text)'")
        }
        // Ten tenths are exactly one, as they would not be in binary floating point.
        let tenth = MicroEpsilon(text: "0.1")!
        #expect((0..<10).reduce(MicroEpsilon.zero) { sum, _ in sum + tenth } == MicroEpsilon(text: "1"))
        #expect("\(MicroEpsilon(micros: 1_500_000))" == "1.5" && "\(MicroEpsilon(micros: 50))" == "0.00005")
    }

    func problems(_ privacy: String, columns: String = "") -> [String] {
        let text = Fixtures.policyText + "\n" + privacy
        let (_, problems) = Policy.lint(
            columns.isEmpty ? text : text.replacingOccurrences(of: "columns:\n", with: "columns:\n" + columns))
        return problems.map { "\($0.path): \($0.message)" }
    }

    @Test func lintChecksTheBudgetsAndTheBoundsOfADPPolicy() throws {
        let ok = "privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }"
        #expect(problems(ok).isEmpty, "\(problems(ok))")
        let policy = try Policy(yaml: Fixtures.policyText + "\n" + ok)
        #expect(policy.privacy.mode == .dp && policy.privacy.epsilonPerJob == MicroEpsilon(text: "0.5"))
        #expect(policy.privacy.datasetEpsilon.micros == 10_000_000)

        let cases: [(String, String)] = [
            ("privacy: { mode: dp }", "privacy.datasetEpsilon: required in mode dp"),
            (
                "privacy: { mode: dp, datasetEpsilon: 1, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }",
                "privacy.agreementEpsilon: an agreement's ε (2) cannot exceed the dataset's (1)"
            ),
            (
                "privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 3 }",
                "privacy.maxEpsilonPerJob: a job's ε (3) cannot exceed an agreement's (2)"
            ),
            (
                "privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5, epsilonPerJob: 1 }",
                "privacy.epsilonPerJob: the default ε per job (1) cannot exceed maxEpsilonPerJob (0.5)"
            ),
            (
                "privacy: { mode: dp, datasetEpsilon: 0, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }",
                "privacy.datasetEpsilon: expected ε above 0"
            ),
            (
                "privacy: { mode: dp, datasetEpsilon: 0.0000001, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }",
                "privacy.datasetEpsilon: expected ε above 0"
            ),
            ("privacy: { datasetEpsilon: 1 }", "privacy.datasetEpsilon: datasetEpsilon applies in mode dp only"),
            ("privacy: { mode: laplace }", "privacy.mode:"),
            ("privacy: { mode: dp, epsilon: 1 }", "privacy.epsilon:"),
            // A unit: a listed identifier column, with a bound on its rows.
            (
                "privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5, unit: { column: household } }",
                "privacy.unit.maxRowsPerUnit: required key is missing"
            ),
            (
                "privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5, unit: { column: household, maxRowsPerUnit: 0 } }",
                "privacy.unit.maxRowsPerUnit:"
            ),
            (
                "privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5, unit: { column: household, maxRowsPerUnit: 4 } }",
                "privacy.unit.column: 'household' is not one of the policy's columns"
            ),
            (
                "privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5, unit: { column: age, maxRowsPerUnit: 4 } }",
                "privacy.unit.column: the unit column 'age' must be of class identifier"
            ),
            (
                "privacy: { unit: { column: person_id, maxRowsPerUnit: 4 } }",
                "privacy.unit: unit applies in mode dp only"
            ),
        ]
        for (privacy, expected) in cases {
            #expect(problems(privacy).contains { $0.hasPrefix(expected) }, "\(privacy) → \(problems(privacy))")
        }
        // A measured number without a clamping range: its noise could not be scaled.
        let unbounded = problems(ok, columns: "  weight: { class: sensitive, type: number }\n")
        #expect(
            unbounded.contains {
                $0.hasPrefix("columns.weight: in privacy mode dp a measured number column needs min and max")
            })
        #expect(problems("", columns: "  weight: { class: sensitive, type: number }\n").isEmpty)
        // Levels: category columns only, each once.
        #expect(
            problems("", columns: "  c: { class: ordinary, type: category, levels: [a, b, a] }\n").contains {
                $0.hasPrefix("columns.c.levels: declare at least one level, each once")
            })
        #expect(
            problems("", columns: "  n: { class: ordinary, type: integer, levels: [1, 2] }\n").contains {
                $0.hasPrefix("columns.n.levels: levels are declared for category columns only")
            })
    }

    @Test func theShippedDPPolicyIsValid() throws {
        let text = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("policies/household-survey-dp.yaml"), encoding: .utf8
        )
        let policy = try Policy(yaml: text)
        #expect(policy.privacy.mode == .dp && policy.column(named: "district")?.levels?.count == 38)
        #expect(policy.privacy.epsilonPerJob == MicroEpsilon(text: "0.1"))
    }

    func terms(
        _ spec: String,
        policy: String = "privacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }"
    )
        throws -> String
    {
        let policy = try Policy(
            yaml: Fixtures.policyText.replacingOccurrences(
                of: "district:  { class: quasi-identifier, type: category }",
                with: "district:  { class: quasi-identifier, type: category, levels: [north, south] }") + "\n" + policy)
        let parsed = try ModelSpec(text: "dataset: survey\n" + spec)
        do {
            _ = try policy.admit(parsed)
            guard let terms = try policy.privacyTerms(for: parsed) else { return "exact" }
            let shape = (terms.dimensions ?? []).map { "\($0.name)=\($0.levels.joined(separator: ","))" }
            return "ε \(terms.epsilon) over [\(shape.joined(separator: " "))]"
        } catch {
            return error.code.rawValue
        }
    }

    @Test func whatADPDatasetAnswersAndRefusesBeforeAnythingRuns() throws {
        #expect(try terms("model: crosstab\nrows: [district]") == "ε 0.5 over [district=north,south]")
        #expect(
            try terms("model: crosstab\nrows: [district]\nepsilon: 0.2")
                == "ε 0.2 over [district=north,south]")
        #expect(try terms("model: crosstab\nrows: [age]\ncolumns: [insured]").hasPrefix("column_not_allowed"))
        #expect(try terms("model: crosstab\nrows: [sector]") == "levels_undeclared")
        #expect(try terms("model: crosstab\nrows: [district]\nepsilon: 0.6") == "epsilon_not_allowed")
        #expect(try terms("model: histogram\nvariable: income\nbins: 4") == "ε 0.5 over []")
        #expect(try terms("model: logistic_regression\ntarget: insured\nfeatures: [age]") == "not_available_in_dp")
        #expect(try terms("model: summary\nvariables: [income]") == "ε 0.5 over []")
        #expect(
            try terms("model: crosstab\nrows: [district]\nmeasure: income\nstatistic: mean")
                == "ε 0.5 over [district=north,south]")
        for statistic in ["median", "std"] {
            #expect(
                try terms("model: crosstab\nrows: [district]\nmeasure: income\nstatistic: \(statistic)")
                    == "not_available_in_dp")
        }
        #expect(
            try terms("model: linear_regression\ntarget: income\nfeatures: [age, district]") == "not_available_in_dp")
        // The table over the declared levels is bounded before anything runs, not by the data's
        // own levels: 2 districts × 121 ages × 1,000 declared sectors is too many cells.
        let sectors = (0..<1000).map { "s\($0)" }.joined(separator: ", ")
        let wide = try Policy(
            yaml: Fixtures.policyText.replacingOccurrences(
                of: "sector:    { class: ordinary,         type: category }",
                with: "sector: { class: ordinary, type: category, levels: [\(sectors)] }"
            )
            .replacingOccurrences(
                of: "district:  { class: quasi-identifier, type: category }",
                with: "district:  { class: quasi-identifier, type: category, levels: [north, south] }")
                + "\nprivacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }")
        let spec = try ModelSpec(text: "dataset: survey\nmodel: crosstab\nrows: [district, age]\ncolumns: [sector]")
        _ = try wide.admit(spec)
        do {
            _ = try wide.privacyTerms(for: spec)
            Issue.record("a table of 242,000 declared cells was admitted")
        } catch {
            #expect(error.code == .tooManyCells && error.message.contains("242000"), "\(error)")
        }
        // An exact dataset takes no epsilon: a researcher must not believe an answer is noisy when it is not.
        #expect(try terms("model: crosstab\nrows: [district]", policy: "") == "exact")
        #expect(try terms("model: crosstab\nrows: [district]\nepsilon: 0.1", policy: "") == "epsilon_not_allowed")
    }

    /// Each figure's sensitivity in the data's units, from the policy's bounds (age 0–120, income
    /// 0–1,000,000): what one row, changed in any way, can move it by.
    func sensitivities(_ spec: String) throws -> [String: Double] {
        let policy = try Policy(
            yaml: Fixtures.policyText.replacingOccurrences(
                of: "district:  { class: quasi-identifier, type: category }",
                with: "district:  { class: quasi-identifier, type: category, levels: [north, south] }")
                + "\nprivacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5 }")
        let terms = try #require(try policy.privacyTerms(for: try ModelSpec(text: "dataset: survey\n" + spec)))
        return Dictionary(uniqueKeysWithValues: terms.figures.map { ($0.name, Double($0.sensitivity) * $0.unit) })
    }

    @Test func eachFigureIsAsSensitiveAsOneRowCanMakeIt() throws {
        // A table: one row leaves a cell and joins another, taking its income with it.
        #expect(
            try sensitivities("model: crosstab\nrows: [district]\nmeasure: income\nstatistic: mean")
                == ["count": 2, "sum of income": 2_000_000])
        #expect(
            try sensitivities("model: crosstab\nrows: [district]\nmeasure: income\nstatistic: sum")
                == ["sum of income": 2_000_000])
        // Once: a row changes its values across their range, or drops out for a missing one.
        let summary = try sensitivities("model: summary\nvariables: [age, income]")
        #expect(
            summary.mapValues { ($0 * 1000).rounded() / 1000 }
                == [
                    "count": 1, "sum of age": 120, "sum of income": 1_000_000, "sum of squares of age": 14_400,
                    "sum of squares of income": 1e12,
                ])
        let regression = try sensitivities("model: linear_regression\ntarget: income\nfeatures: [age]")
        #expect(regression.count == 6 && abs(regression["sum of age × income"]! - 120_000_000) < 1e-3)
    }

    @Test func valuesAreReadInWholeQuantaWithinTheBounds() throws {
        // Income to 1,000,000 in units of 1; age to 120 in thousandths; a signed range.
        let income = FixedPoint(min: 0, max: 1_000_000)
        #expect(income.exponent == 0 && income.low == 0 && income.high == 1_000_000)
        #expect(income.quanta(1234.5) == 1235 && income.quanta(-1234.5) == 0 && income.quanta(5e9) == 1_000_000)
        let age = FixedPoint(min: 0, max: 120)
        #expect(age.exponent == -3 && age.high == 120_000 && age.quanta(37.25) == 37_250)
        #expect(age.quanta(.nan) == 0 && age.quanta(.infinity) == 120_000 && age.quanta(-.infinity) == 0)
        let signed = FixedPoint(min: -50, max: 30)
        #expect(signed.exponent == -4 && signed.low == -500_000 && signed.high == 300_000)
        // Products in units of the quanta's product × 1000, rounded halves away from zero.
        #expect(FixedPoint.product(1500, 1) == 2 && FixedPoint.product(-1500, 1) == -2)
        #expect(FixedPoint.product(1499, 1) == 1 && FixedPoint.product(-1_000_000, 1_000_000) == -1_000_000_000)
        // A signed range: in a table a row can take its −50 out of one cell and put it in another;
        // once, it moves across 80; its square from 0 to 2,500.
        let figure = { (kind: PrivacyFigure.Kind, table: Bool) in
            let found = PrivacyFigure(kind, fixedPoints: ["t": signed], table: table)
            return Double(found.sensitivity) * found.unit
        }
        #expect(abs(figure(.sum("t"), true) - 100) < 1e-9 && abs(figure(.sum("t"), false) - 80) < 1e-9)
        #expect(abs(figure(.product("t", "t"), false) - 2500) < 1e-9)
    }

    @Test func aSpecMayClampMoreNarrowlyThanThePolicyNeverMoreWidely() throws {
        let mean = "model: crosstab\nrows: [district]\nmeasure: income\nstatistic: mean"
        #expect(
            try sensitivities(mean + "\nclamp: { income: [0, 200000] }")
                == ["count": 2, "sum of income": 400_000])
        #expect(try terms(mean + "\nclamp: { income: [-1, 200000] }") == "invalid_spec")
        #expect(try terms(mean + "\nclamp: { income: [0, 200000], age: [0, 50] }") == "invalid_spec")
        #expect(try terms("model: summary\nvariables: [insured]\nclamp: { insured: [0, 1] }") == "invalid_spec")
        #expect(try terms(mean + "\nclamp: { income: [0, 200000] }", policy: "") == "invalid_spec")
        // Read as a pair, low first.
        #expect(throws: Refusal.self) {
            try ModelSpec(text: "dataset: survey\n" + mean + "\nclamp: { income: [5, 1] }")
        }
        #expect(throws: Refusal.self) { try ModelSpec(text: "dataset: survey\n" + mean + "\nclamp: { income: 5 }") }
    }

    @Test func noiseTooLargeToDrawSafelyIsRefusedBeforeAnythingRuns() throws {
        // Squares of income to 10¹² at ε 10⁻⁶ over three figures: a scale of 3·10¹⁵ thousands, past
        // the 2⁴⁰ any figure may have (a draw could then come near the end of 64-bit integers).
        #expect(try terms("model: summary\nvariables: [income]\nepsilon: 0.000001") == "epsilon_not_allowed")
        #expect(try terms("model: summary\nvariables: [income]\nepsilon: 0.5") == "ε 0.5 over []")
        // A count is fine at any ε a policy can name.
        #expect(
            try terms("model: crosstab\nrows: [district]\nepsilon: 0.000001")
                == "ε 0.000001 over [district=north,south]")
    }
}
