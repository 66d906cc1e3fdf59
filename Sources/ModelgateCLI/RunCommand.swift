import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway
import ModelgateStore

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
            With --preview nothing runs and no data is read: it prints what the job would cost on \
            a dataset in privacy mode dp (ε, the noise's scale, each figure's 95 % half-width) or \
            that the dataset answers exactly, or why the job would be refused. The command line's \
            own jobs spend no agreement's budget.
            Exit status: 0 released, 3 refused, 4 failed in the worker (a limit, a sandbox \
            violation, a crash; the reason is in the result), 1 error.
            """
    )

    @Argument(help: ArgumentHelp("The model spec file.", valueName: "spec")) var spec: String
    @OptionGroup var state: StateOptions
    @OptionGroup var global: GlobalOptions
    @Option(help: "Output format: the result document (json), for reading (table), or its values (csv).")
    var format: ResultFormat = .json
    @Option(
        help: ArgumentHelp(
            "The principal the job is recorded for, whose daily quota it counts against (an existing one; "
                + "default: the operating-system user running the command, as os:NAME).",
            valueName: "name"))
    var principal: String?
    @Flag(help: "Say what the job would cost and how far off its figures may be, without running it.")
    var preview = false

    func run() throws {
        let specText = try readText(spec, what: "spec")
        let pipeline = try JobPipeline(
            state: state.url, store: state.openStore(), logger: global.logger("modelgate.job"))
        let principal = try recordedPrincipal(in: pipeline.store)
        if preview {
            let answer = try pipeline.preview(specText: specText, principal: principal, needsAgreement: false)
            // A preview has no values: csv prints it as text.
            print(format == .json ? try Self.json(answer) : Self.text(answer), terminator: "")
            if answer.status != "ok" { throw ExitCode(3) }
            return
        }
        let result = try pipeline.run(specText: specText, principal: principal)
        try format.print(result, jsonText: try result.jsonText())
    }

    /// Whom the job is recorded for: a principal the store knows (a mistyped name would put the
    /// job on no one), or the operating-system user running the command.
    func recordedPrincipal(in store: any GatewayStore) throws -> String {
        guard let principal else { return "os:" + ProcessInfo.processInfo.userName }
        let known = try store.principals().map(\.name)
        guard known.contains(principal) else {
            throw ModelgateError(
                .unknownPrincipal,
                "no principal '\(principal)' in \(state.state)"
                    + (known.isEmpty ? "" : " (its principals: \(known.joined(separator: ", ")))")
                    + "; add one with `modelgate principal add`, or leave out --principal to record the job as "
                    + "the operating-system user")
        }
        return principal
    }

    static func json(_ preview: JobPreview) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(preview), as: UTF8.self) + "\n"
    }

    static func text(_ preview: JobPreview) -> String {
        var lines: [String] = []
        if let reason = preview.reason { lines.append("refused: \(reason.code.rawValue): \(reason.message)") }
        if preview.mode == "exact" {
            lines.append("\(preview.dataset ?? "") answers exactly; results are checked for disclosure; no ε is spent")
        }
        if let epsilon = preview.epsilon {
            lines.append("ε \(epsilon), \(preview.mechanism ?? "") noise:")
            lines += ResultText.render(preview.figures ?? [])
        }
        for budget in preview.budgets ?? [] {
            lines.append(
                "\(budget.scope) \(budget.agreement ?? ""): \(budget.spent) of \(budget.total) spent, \(budget.leftAfter) left after"
            )
        }
        if let more = preview.moreLikeThis { lines.append("\(more) more such jobs would fit after this one") }
        return lines.joined(separator: "\n") + "\n"
    }
}
