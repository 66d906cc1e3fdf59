import Foundation
import ModelgateCore
import ModelgateParsing

/// A fresh folder per test, removed when the test ends.
final class TemporaryFolder: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("modelgate-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file
    }
}

/// A small policy in the shape of the household survey's, for tests.
enum Fixtures {
    static let policyText = """
        dataset:
          id: survey
          title: Test survey
          owner: test-bureau
          openAttribute: conditional
          citation: "Test survey, test-bureau"
        columns:
          person_id: { class: identifier,       type: string }
          district:  { class: quasi-identifier, type: category }
          age:       { class: quasi-identifier, type: integer, min: 0, max: 120 }
          sector:    { class: ordinary,         type: category }
          income:    { class: sensitive,        type: number,  min: 0, max: 1000000 }
          insured:   { class: sensitive,        type: boolean }
          notes:     { class: ordinary,         type: string }
        models: [summary, crosstab, histogram, linear_regression, logistic_regression]
        """

    static var policy: Policy { try! Policy(yaml: policyText) }

    static func spec(_ yaml: String) throws -> ModelSpec {
        try ModelSpec(text: yaml)
    }
}
