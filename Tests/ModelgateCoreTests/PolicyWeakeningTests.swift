import ModelgateParsing
import ModelgateTestSupport
import Testing

@testable import ModelgateCore

/// What a new policy allows that the one in force did not, key by key, written out by hand.
@Suite struct PolicyWeakeningTests {
    static func policy(_ edit: (String) -> String = { $0 }) throws -> Policy {
        try Policy(yaml: edit(Fixtures.policyText))
    }

    @Test func eachLooserKeyIsNamed() throws {
        let base = try Self.policy()
        #expect(base.weakenings(to: base).isEmpty)
        var looser = base
        looser.disclosure.threshold = base.disclosure.threshold - 1
        looser.disclosure.zerosAreDisclosive = false
        looser.disclosure.nkRule.k = 0.95
        looser.disclosure.pRatio = 0.05
        looser.disclosure.minimumDegreesOfFreedom = 5
        looser.disclosure.maxParameterRatio = 0.5
        looser.disclosure.maxLeverage = 0.3
        looser.quota.jobsPerDay += 1
        looser.dataset.openAttribute = .unconditional
        looser.dataset.owner = "another-body"
        let found = base.weakenings(to: looser)
        for key in [
            "disclosure.threshold", "disclosure.zerosAreDisclosive", "disclosure.nkRule.k", "disclosure.pRatio",
            "disclosure.minimumDegreesOfFreedom", "disclosure.maxParameterRatio", "disclosure.maxLeverage",
            "quota.jobsPerDay", "dataset.openAttribute", "dataset.owner",
        ] {
            #expect(found.contains { $0.hasPrefix(key + ":") }, "\(key) not named in \(found)")
        }
        #expect(found.count == 10)
        // The same changes the other way round are stricter (but for the owner, which any
        // change of hands is): nothing else to confirm.
        #expect(looser.weakenings(to: base) == ["dataset.owner: another-body → \(base.dataset.owner)"])
    }

    @Test func aColumnPutToMoreUsesAndANewModelAreWeaker() throws {
        let base = try Self.policy()
        guard let index = base.columns.firstIndex(where: { $0.columnClass == .sensitive }) else {
            Issue.record("the fixture policy has no sensitive column")
            return
        }
        var looser = base
        looser.columns[index].columnClass = .quasiIdentifier
        let name = base.columns[index].name
        #expect(
            base.weakenings(to: looser) == [
                "columns.\(name): sensitive → quasi-identifier (it may now group and filter rows)"
            ])
        #expect(looser.weakenings(to: base).isEmpty)
        var fewer = base
        fewer.models.removeLast()
        #expect(base.weakenings(to: fewer).isEmpty)
        #expect(fewer.weakenings(to: base) == ["models: \(base.models.last!.rawValue) is newly allowed"])
    }
}
