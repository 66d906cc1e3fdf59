import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case json, table
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one model spec through the whole pipeline and print the result.",
        discussion: """
            The spec (YAML or JSON) names a model, a dataset and the model's keys, e.g.
              model: crosstab
              dataset: household-survey
              rows: [district]
              columns: [sex]
              measure: income
              statistic: mean
            The estimator runs in a locked-down worker process (modelgate-worker, next to this \
            program) under the policy's limits. The job is recorded in the state's audit log \
            (refusals too); the result's `receipt` names its event.
            Exit status: 0 released, 3 refused, 4 failed in the worker (a limit, a sandbox \
            violation, a crash; the reason is in the result), 1 error.
            """
    )

    @Argument(help: ArgumentHelp("The model spec file.", valueName: "spec")) var spec: String
    @OptionGroup var state: StateOptions
    @OptionGroup var global: GlobalOptions
    @Option(help: "Output format.") var format: OutputFormat = .json
    @Option(
        help: ArgumentHelp(
            "Whom the job is recorded for and whose daily quota it counts against.", valueName: "name"))
    var principal: String = "operator"

    func run() throws {
        let specText = try readText(spec, what: "spec")
        let result = try JobPipeline(state: state.url, logger: global.logger("modelgate.job")).run(
            specText: specText, principal: principal)
        print(
            format == .json ? try result.jsonText() : ResultText.render(result), terminator: format == .json ? "\n" : ""
        )
        switch result.status {
        case .released: break
        case .refused: throw ExitCode(3)
        case .failed: throw ExitCode(4)
        }
    }
}
