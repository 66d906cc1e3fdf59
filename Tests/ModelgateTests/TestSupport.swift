import Foundation
import ModelgateCore
import ModelgateDisclosure
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

extension ComplementOrder {
    /// A fixed secret: tests that need one order, and tests of what any order must keep.
    static let forTests = ComplementOrder(secret: [UInt8](repeating: 7, count: 32), context: "tests")

    /// A fresh secret, as a new dataset draws.
    static func random(_ generator: inout some RandomNumberGenerator) -> ComplementOrder {
        ComplementOrder(
            secret: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }, context: "tests")
    }
}
