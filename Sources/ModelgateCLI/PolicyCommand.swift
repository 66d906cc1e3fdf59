import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway
import ModelgateParsing

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with dataset policies (policies/*.yaml).",
        subcommands: [Lint.self, Reload.self]
    )

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Check policy files and report every problem with its key path.",
            discussion: "Exits 0 when every file is valid, 1 otherwise. Unknown keys are errors."
        )

        @Argument(help: ArgumentHelp("Policy files to check.", valueName: "file"))
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one policy file") }
        }

        func run() throws {
            var failed = 0
            for file in files {
                let (policy, problems) = Policy.lint(try readText(file, what: "policy"))
                if let policy, problems.isEmpty {
                    print(
                        "\(file): ok — dataset '\(policy.dataset.id)', \(policy.columns.count) columns, models: \(policy.models.map(\.rawValue).joined(separator: ", "))"
                    )
                } else {
                    failed += 1
                    print("\(file): \(problems.count) problem(s)")
                    for problem in problems { print("  \(problem)") }
                }
            }
            if failed > 0 { throw ExitCode.failure }
        }
    }

    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reload",
            abstract: "Load the policies folder over the ingested datasets, as a running gateway does at start.",
            discussion: """
                A changed policy replaces the one in force and is an audit event (its columns, bounds, \
                levels and privacy block must stay those the data was ingested with). A policy that \
                weakens the one in force (a column put to more uses, a model newly allowed, a looser \
                disclosure rule, a dataset opened further, a larger quota) is held back with its \
                diff unless --confirm-weaker is given; then its event names what weakened. A running \
                gateway loads the same way at start (serve --confirm-weaker) and on \
                POST /v1/policies/reload (?confirmWeaker=true). Exit 1 when a policy did not load.
                """
        )

        @OptionGroup var state: StateOptions
        @Option(help: ArgumentHelp("Folder of dataset policies.", valueName: "dir")) var policies = "policies"
        @Flag(help: "Load policies that weaken the ones in force.") var confirmWeaker = false

        func run() throws {
            let outcome = try PolicyReload(state: state.url, store: existingStore(state)).load(
                from: URL(fileURLWithPath: policies, isDirectory: true), by: "os:" + ProcessInfo.processInfo.userName,
                confirmWeaker: confirmWeaker)
            PolicyReloadText.say(outcome) { print($0) }
            for dataset in outcome.loaded { print("loaded: \(dataset)") }
            for dataset in outcome.unchanged { print("unchanged: \(dataset)") }
            if !outcome.problems.isEmpty { throw ExitCode.failure }
        }
    }
}
