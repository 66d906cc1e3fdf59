import ArgumentParser
import Foundation
import ModelgateColumnar
import ModelgateGateway
import ModelgateStore

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Register or refresh a dataset from a CSV file, under its policy.",
        discussion: """
            The CSV's header must name exactly the policy's columns. Every value is checked \
            against its column's type and range; a bad row stops ingest with its line number and \
            leaves the previous version of the dataset in place. Identifier and free-text columns \
            are checked but not stored.
            """
    )

    @Option(help: ArgumentHelp("The dataset's policy.", valueName: "file")) var policy: String
    @Option(help: ArgumentHelp("The data, with a header line.", valueName: "file")) var csv: String
    @OptionGroup var state: StateOptions

    func run() throws {
        let text = try readText(policy, what: "policy")
        let registration = DatasetRegistration(state: state.url, store: try state.openStore())
        let (manifest, events) = try registration.ingest(
            policyText: text, csv: URL(fileURLWithPath: csv), progress: TerminalProgress.make())
        TerminalProgress.finish()
        print(
            "ingested '\(manifest.id)': \(manifest.rowCount) rows, \(manifest.columns.count) columns stored, version \(manifest.version.prefix(16))"
        )
        for event in events { print("recorded: audit event \(event.index) \(event.kind.rawValue)") }
        if events.isEmpty { print("this version and policy were already recorded") }
    }
}
