import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a synthetic household survey and run every example spec on it.",
        discussion: """
            Generates a deterministic synthetic survey (a few districts deliberately tiny, so \
            that small cells get suppressed), ingests it under the policy, then runs each spec \
            in the models folder and prints its result, refusals included. Everything is \
            recorded in the state's audit log.
            """
    )

    @Option(help: "Rows to generate.") var rows: Int = 100_000
    @Option(help: ArgumentHelp("The dataset's policy.", valueName: "file"))
    var policy: String = "policies/household-survey.yaml"
    @Option(help: ArgumentHelp("Folder of example specs.", valueName: "dir")) var models: String = "models"
    @OptionGroup var state: StateOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard rows > 0 else { throw ValidationError("--rows must be positive") }
    }

    func run() throws {
        let text = try readText(policy, what: "policy (run the demo from the repository folder, or pass --policy)")
        print("Generating \(rows) synthetic survey rows and ingesting them into \(state.state) …")
        let store = try state.openStore()
        let manifest = try DemoDataset.prepare(
            rows: rows, policyText: text, state: state.url, store: store, progress: TerminalProgress.make())
        TerminalProgress.finish()
        print("Dataset '\(manifest.id)' version \(manifest.version.prefix(16)): \(manifest.rowCount) rows.\n")
        let names = try FileManager.default.contentsOfDirectory(atPath: models)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }.sorted()
        let pipeline = try JobPipeline(state: state.url, store: store, logger: global.logger("modelgate.job"))
        for name in names {
            let path = (models as NSString).appendingPathComponent(name)
            print("── \(path)")
            print(ResultText.render(try pipeline.run(specText: try readText(path, what: "spec"))))
        }
        let chain = try pipeline.store.verifyChain(progress: nil)
        print(
            "Every job above is in the audit log (\(chain.count) events, \(chain.failure == nil ? "intact" : "BROKEN"), head \(chain.headHash.prefix(16))…)."
        )
        print("Next: modelgate usage report --state \(state.state)   ·   modelgate audit export --state \(state.state)")
    }
}
