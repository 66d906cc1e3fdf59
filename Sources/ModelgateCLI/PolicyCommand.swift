import ArgumentParser
import ModelgateCore
import ModelgateParsing

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with dataset policies (policies/*.yaml).",
        subcommands: [Lint.self]
    )

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
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
}
