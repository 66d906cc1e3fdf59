import Foundation
import ModelgateCore
import ModelgateDisclosure
import ModelgateParsing
import ModelgateSandbox

/// What the test targets of every layer share: temporary folders, a small policy, the
/// repository's own files, the programs built beside the tests. Package access only (no
/// `@testable`), so that this target also builds in release.

/// A fresh folder per test, removed when the test ends.
package final class TemporaryFolder: Sendable {
    package let url: URL

    package init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("modelgate-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    package func write(_ name: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file
    }

    /// A script the tests run as a program (a stand-in worker, say).
    package func executable(_ name: String, _ text: String) throws -> URL {
        let file = try write(name, text)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        return file
    }
}

/// A small policy in the shape of the household survey's, for tests; and where the repository
/// and the built programs are.
package enum Fixtures {
    package static let policyText = """
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

    package static var policy: Policy { try! Policy(yaml: policyText) }

    package static func spec(_ yaml: String) throws -> ModelSpec {
        try ModelSpec(text: yaml)
    }

    /// The repository's root (its `policies/`, `models/`, `scripts/`).
    package static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `policies/household-survey-dp.yaml` with its budgets replaced (decimal ε).
    package static func dpPolicy(dataset: String = "10", agreement: String = "2", perJob: String = "0.5") throws
        -> String
    {
        let text = try String(
            contentsOf: repository.appendingPathComponent("policies/household-survey-dp.yaml"), encoding: .utf8)
        return text.replacingOccurrences(
            of: "datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5",
            with: "datasetEpsilon: \(dataset), agreementEpsilon: \(agreement), maxEpsilonPerJob: \(perJob)")
    }

    /// The example specs the repository ships in `folder` (`models`, `models/dp`), by file name
    /// in name order, with their text.
    package static func exampleSpecs(in folder: String = "models") throws -> [(name: String, text: String)] {
        let url = repository.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { ($0, try String(contentsOf: url.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// A program built next to the test bundle (`modelgate`, `modelgate-worker`).
    package static func builtProgram(_ name: String) throws -> String {
        let worker = try Worker.locate().runner.executable
        return URL(fileURLWithPath: worker).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

extension ComplementOrder {
    /// A fixed secret: tests that need one order, and tests of what any order must keep.
    package static let forTests = ComplementOrder(secret: [UInt8](repeating: 7, count: 32), context: "tests")

    /// A fresh secret, as a new dataset draws.
    package static func random(_ generator: inout some RandomNumberGenerator) -> ComplementOrder {
        ComplementOrder(
            secret: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }, context: "tests")
    }
}

/// A clock a test moves by hand.
package final class MovableClock: @unchecked Sendable {
    private let lock = NSLock()
    private var date: Date

    package init(_ date: Date) { self.date = date }

    package var now: @Sendable () -> Date { { [self] in lock.withLock { date } } }

    package func advance(by seconds: TimeInterval) { lock.withLock { date += seconds } }
}
