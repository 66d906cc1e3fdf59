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
            ("privacy: { datasetEpsilon: 1 }", "privacy.datasetEpsilon: budgets apply in mode dp only"),
            ("privacy: { mode: laplace }", "privacy.mode:"),
            ("privacy: { mode: dp, epsilon: 1 }", "privacy.epsilon:"),
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
        #expect(try terms("model: summary\nvariables: [income]") == "not_available_in_dp")
        #expect(
            try terms("model: crosstab\nrows: [district]\nmeasure: income\nstatistic: mean") == "not_available_in_dp")
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
}
