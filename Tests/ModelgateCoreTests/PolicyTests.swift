import Foundation
import ModelgateParsing
import ModelgateTestSupport
import Testing

@testable import ModelgateCore

@Suite struct PolicyTests {
    @Test func readsEveryKeyOfTheContract() throws {
        let text = """
            dataset: { id: household-survey, title: T, owner: statistics-bureau, openAttribute: conditional,
                       securityLevel: 3, updateCycle: annual, citation: "C" }
            columns:
              person_id: { class: identifier,       type: string }
              age:       { class: quasi-identifier, type: integer, min: 16, max: 90 }
            models: [summary, crosstab]
            disclosure: { threshold: 5, zerosAreDisclosive: false, nkRule: { n: 3, k: 0.8 },
                          pRatio: 0.2, minimumDegreesOfFreedom: 20, maxParameterRatio: 0.25 }
            limits: { cpuSeconds: 10, memoryMegabytes: 512, wallSeconds: 20, outputBytes: 65536 }
            quota: { jobsPerDay: 7 }
            """
        let policy = try Policy(yaml: text)
        #expect(policy.dataset.id == "household-survey")
        #expect(policy.dataset.openAttribute == .conditional)
        #expect(policy.dataset.securityLevel == 3)
        #expect(policy.columns.map(\.name) == ["person_id", "age"])
        #expect(policy.columns[1].columnClass == .quasiIdentifier)
        #expect(policy.columns[1].min == 16 && policy.columns[1].max == 90)
        #expect(policy.models == [.summary, .crosstab])
        #expect(policy.disclosure.threshold == 5)
        #expect(policy.disclosure.zerosAreDisclosive == false)
        #expect(policy.disclosure.nkRule == .init(n: 3, k: 0.8))
        #expect(policy.disclosure.pRatio == 0.2)
        #expect(policy.disclosure.minimumDegreesOfFreedom == 20)
        #expect(policy.disclosure.maxParameterRatio == 0.25)
        #expect(policy.limits.cpuSeconds == 10 && policy.limits.outputBytes == 65536)
        #expect(policy.quota.jobsPerDay == 7)
    }

    @Test func missingDisclosureKeysTakeTheACRODefaults() throws {
        let text = Fixtures.policyText + "\ndisclosure: { threshold: 20 }\n"
        let rules = try Policy(yaml: text).disclosure
        #expect(rules.threshold == 20)
        #expect(rules.zerosAreDisclosive == true)
        #expect(rules.nkRule.n == 2 && rules.nkRule.k == 0.9)
        #expect(rules.pRatio == 0.1)
        #expect(rules.minimumDegreesOfFreedom == 10)
        #expect(rules.maxParameterRatio == 0.33)
    }

    @Test func lintReportsEveryProblemWithItsKeyPathAndLine() {
        let text = """
            dataset:
              id: Bad_ID
              title: T
              owner: o
              openAttribute: sometimes
            columns:
              age: { class: quasi-identifier, type: integer, min: 90, max: 16 }
              name: { class: secret, type: string }
              flag: { class: ordinary, type: boolean, min: 0 }
            models: [summary, neural_net]
            disclosure: { treshold: 10, pRatio: 2 }
            """
        let (policy, problems) = Policy.lint(text)
        #expect(policy == nil)
        let byPath = Dictionary(grouping: problems, by: \.path)
        #expect(byPath["dataset.id"] != nil)
        #expect(byPath["dataset.openAttribute"]?.first?.message.contains("sometimes") == true)
        #expect(byPath["dataset.citation"]?.first?.message == "required key is missing")
        #expect(byPath["columns.age.min"]?.first?.message.contains("greater than max") == true)
        #expect(byPath["columns.age.min"]?.first?.line == 7)
        #expect(byPath["columns.name.class"]?.first?.message.contains("secret") == true)
        #expect(byPath["columns.flag"]?.first?.message.contains("min and max") == true)
        #expect(byPath["models[1]"]?.first?.message.contains("neural_net") == true)
        #expect(byPath["disclosure.treshold"]?.first?.message.contains("unknown key") == true)
        #expect(byPath["disclosure.treshold"]?.first?.line == 11)
        #expect(byPath["disclosure.pRatio"] != nil)
        #expect(problems.count == 9)
    }

    @Test func integerBoundsAreWholeAndExact() {
        let text = Fixtures.policyText.replacingOccurrences(
            of: "age:       { class: quasi-identifier, type: integer, min: 0, max: 120 }",
            with: "age:       { class: quasi-identifier, type: integer, min: 0.5, max: 1e19 }")
        let (_, problems) = Policy.lint(text)
        #expect(problems.map(\.path).sorted() == ["columns.age.max", "columns.age.min"])
    }

    @Test func unknownTopLevelKeyIsAnError() {
        let (_, problems) = Policy.lint(Fixtures.policyText + "\nretention: forever\n")
        #expect(problems.map(\.path) == ["retention"])
    }

    @Test func malformedYAMLIsOneProblemNotACrash() {
        let (policy, problems) = Policy.lint("dataset: [unclosed\n")
        #expect(policy == nil)
        #expect(problems.count == 1)
        #expect(problems[0].message.hasPrefix("not valid YAML"))
    }

    @Test func shippedPolicyIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("policies/household-survey.yaml")
        let policy = try Policy(yaml: String(contentsOf: url, encoding: .utf8))
        #expect(policy.dataset.id == "household-survey")
        #expect(policy.column(named: "person_id")?.columnClass == .identifier)
        #expect(policy.column(named: "income")?.columnClass == .sensitive)
    }
}
