import Foundation
import ModelgateTestSupport
import Testing

@testable import ModelgateGateway

@Suite struct HouseholdSurveyTests {
    @Test func matchesTheBenchmarkGeneratorsFormat() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("s.csv")
        try HouseholdSurvey.write(rows: 5000, to: url)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(
            lines.first == "person_id,district,sex,age,education,sector,household_size,income,insured,hospital_visits")
        #expect(lines.count == 5001)
        #expect(lines[124].hasPrefix("P000000123,"))
        var districts: [Substring: Int] = [:]
        for line in lines.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(f.count == 10)
            districts[f[1], default: 0] += 1
            #expect(f[2] == "F" || f[2] == "M")
            #expect((16...90).contains(Int(f[3])!))
            #expect((1...8).contains(Int(f[6])!))
            #expect(f[7].split(separator: ".").last?.count == 2)
            #expect(f[8] == "0" || f[8] == "1")
        }
        // The two deliberately tiny districts have far fewer rows than the average.
        #expect((districts["Chengkou"] ?? 0) < 5000 / 38 / 5)
        #expect((districts["Wuxi"] ?? 0) < 5000 / 38 / 5)
        #expect(districts.count >= 30)
    }

    @Test func isDeterministic() throws {
        let folder = try TemporaryFolder()
        let a = folder.url.appendingPathComponent("a.csv")
        let b = folder.url.appendingPathComponent("b.csv")
        try HouseholdSurvey.write(rows: 500, to: a)
        try HouseholdSurvey.write(rows: 500, to: b)
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
    }
}
