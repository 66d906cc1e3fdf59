import Foundation
import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateDisclosure
@testable import ModelgateGateway

/// The release ledger's measured slack, kept in a file for the next process that reads the ledger
/// back (see ``SlackFile``).
@Suite struct LedgerSlackTests {
    @Test func aSlackFileRoundTripsAndAnythingElseIsRefused() {
        let contents = SlackFile.Contents(
            generation: 5, job: "0190-job", features: ["age", "income"], rows: [[3, -1, 0, 12], [0, 7, -1, 1]])
        let bytes = SlackFile.encode(contents, atomCount: 4)
        #expect(SlackFile.decode(bytes, atomCount: 4) == contents)
        // Another atom count, a file cut short or grown, another kind of file: nothing.
        #expect(SlackFile.decode(bytes, atomCount: 5) == nil)
        #expect(SlackFile.decode(Array(bytes.dropLast()), atomCount: 4) == nil)
        #expect(SlackFile.decode(bytes + [0], atomCount: 4) == nil)
        #expect(SlackFile.decode(Array("MGATOMS1".utf8) + bytes.dropFirst(8), atomCount: 4) == nil)
        // Any byte changed, a slack value or a length near the largest integer: nothing, no trap.
        for index in [bytes.count - 40, 8 + 24 + 7, 8 + 24 + 8 + 8 + 7] {
            var changed = bytes
            changed[index] ^= 0x7F
            #expect(SlackFile.decode(changed, atomCount: 4) == nil, "byte \(index)")
        }
        #expect(LedgerFile.slack.generation(of: LedgerFile.slack.name(generation: 12)) == 12)
        #expect(LedgerFile.atoms.generation(of: LedgerFile.slack.name(generation: 12)) == nil)
    }

    /// A ledger takes slack only for the features of its samples and every one of its atoms.
    @Test func aLedgerTakesSlackOnlyForItsOwnFeaturesAndAtoms() throws {
        let sums = WeightedSumsTests()
        var ledger = ReleaseLedger(rowCount: 200)
        let columns = sums.ages([])
        #expect(sums.release(&ledger, [Array(0..<120)], features: ["age"], columns: columns) == .safe)
        let known = try #require(ledger.knownSlack)
        #expect(known.features == ["age"] && known.rows[0].count == ledger.atomCounts.count)
        var other = ledger
        let (own, otherFeature, short, belowUnknown) = (
            other.adoptSlack(features: known.features, rows: known.rows),
            other.adoptSlack(features: ["income"], rows: known.rows),
            other.adoptSlack(features: known.features, rows: [Array(known.rows[0].dropLast())]),
            other.adoptSlack(features: known.features, rows: [known.rows[0].map { _ in -2 }])
        )
        #expect(own && !otherFeature && !short && !belowUnknown)
    }

    /// A fit over women, then a table over men, in two later processes: one that finds the fit's
    /// slack in its file (the table splits none of the sample's atoms, so nothing is measured), one
    /// whose file was taken away and measures it all again. Both end with the same slack, and give
    /// the table the same answer.
    @Test func slackReadBackIsTheSlackMeasuredAfresh() throws {
        let survey = try DifferencingAttackTests.Survey()
        let fit = "dataset: household-survey\nmodel: linear_regression\ntarget: income\nfeatures: [age]\n"
        let first = try survey.pipeline.run(specText: fit + "where: [{ column: sex, op: \"=\", value: F }]")
        #expect(first.status == .released, "\(first.reason?.description ?? "")")
        let reference = try #require(first.dataset)
        let key = LedgerKey(dataset: reference.id, version: reference.version)
        let ledgerFolder = survey.folder.url.appendingPathComponent("ledger/\(key.dataset)/\(key.version)")
        let files = try FileManager.default.contentsOfDirectory(atPath: ledgerFolder.path)
        #expect(files.contains { LedgerFile.slack.generation(of: $0) != nil }, "\(files)")

        func table(keepingSlack: Bool) throws -> (JobResult, [[Int32]]?) {
            let copy = try TemporaryFolder()
            let state = copy.url.appendingPathComponent("state")
            try FileManager.default.copyItem(at: survey.folder.url, to: state)
            if !keepingSlack {
                let folder = state.appendingPathComponent("ledger/\(key.dataset)/\(key.version)")
                for file in try FileManager.default.contentsOfDirectory(atPath: folder.path)
                where LedgerFile.slack.generation(of: file) != nil {
                    try FileManager.default.removeItem(at: folder.appendingPathComponent(file))
                }
            }
            let pipeline = try JobPipeline(state: state)
            let result = try pipeline.run(
                specText: "dataset: household-survey\nmodel: crosstab\nrows: [education]\n"
                    + "where: [{ column: sex, op: \"=\", value: M }]")
            let ledger = try pipeline.ledgers.cached(key, rowCount: DifferencingAttackTests.rows, store: pipeline.store)
            return (result, ledger.knownSlack?.rows)
        }
        // A file whose job is not the one that made its generation in the store's history (the
        // store put back from a backup, say) is not taken: the slack is measured again.
        let slackName = try #require(files.first { LedgerFile.slack.generation(of: $0) != nil })
        let slackPath = ledgerFolder.appendingPathComponent(slackName).path
        let written = try #require(FileManager.default.contents(atPath: slackPath))
        let atoms = try survey.pipeline.ledgers.cached(
            key, rowCount: DifferencingAttackTests.rows, store: survey.pipeline.store
        ).atomCounts.count
        var read = try #require(SlackFile.decode(Array(written), atomCount: atoms))
        #expect(read.job == first.job)
        func readBack() throws -> [[Int32]]? {
            try JobPipeline(state: survey.folder.url).ledgers.cached(
                key, rowCount: DifferencingAttackTests.rows, store: survey.pipeline.store
            ).knownSlack?.rows
        }
        #expect(try readBack() == read.rows)
        read.job = "another-history"
        try Data(SlackFile.encode(read, atomCount: atoms)).write(to: URL(fileURLWithPath: slackPath))
        #expect(try readBack() == nil)
        try written.write(to: URL(fileURLWithPath: slackPath))

        let (kept, keptSlack) = try table(keepingSlack: true)
        let (measured, measuredSlack) = try table(keepingSlack: false)
        #expect(kept.status == measured.status && kept.reason?.code == measured.reason?.code)
        #expect(keptSlack != nil && keptSlack == measuredSlack)
    }
}
