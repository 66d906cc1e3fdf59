import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway

/// `modelgate jobs list|show|wait`: a researcher's jobs on a gateway, over HTTP.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List your jobs on a gateway, show one, or wait for one to end.",
        discussion: """
            Reaches a running gateway over HTTP like `submit` (--server or $MODELGATE_URL, --token \
            or $MODELGATE_TOKEN). A researcher sees its own jobs; an auditor everyone's.
            """,
        subcommands: [List.self, Show.self, Wait.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Your jobs, newest first: when, dataset, model, status and label.")

        @OptionGroup var remote: RemoteOptions
        @Option(help: "How many jobs, newest first (1 to 1000).") var limit = 20
        @Option(help: "Output format: table, json or csv.") var format: ResultFormat = .table

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000") }
        }

        func run() async throws {
            let answer = try await remote.gateway().get("/v1/jobs?limit=\(limit)")
            let jobs = answer.json?["jobs"] as? [[String: Any]] ?? []
            let columns = ["job", "submittedAt", "dataset", "model", "status", "label"]
            let rows = jobs.map { job in columns.map { job[$0] as? String ?? "" } }
            switch format {
            case .json: print(answer.text)
            case .csv: print(([columns] + rows).map(CSVText.line).joined(), terminator: "")
            case .table:
                if rows.isEmpty { return print("no jobs yet") }
                print(ResultText.aligned([columns] + rows, leftAligned: Set(columns.indices)).joined(separator: "\n"))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "One job: its result once it has ended, else whether it is queued or running.",
            discussion: "Exit status as `submit --wait` once the job has ended; 5 while it has not.")

        @OptionGroup var one: OneJob

        func run() async throws {
            switch try await one.remote.gateway().job(one.job) {
            case .ended(let text):
                try one.format.print(try JobResult(jsonText: text), jsonText: text)
            case .pending(let status):
                print(
                    one.format == .json
                        ? "{\"job\": \"\(one.job)\", \"status\": \"\(status)\"}" : "job \(one.job) is \(status)")
                throw ExitCode(5)
            }
        }
    }

    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "wait",
            abstract: "Wait for a job to end and print its result.",
            discussion: "Exit status: 0 released, 3 refused, 4 failed in the worker, 1 error or timeout.")

        @OptionGroup var one: OneJob
        @Option(help: ArgumentHelp("Give up waiting after this many seconds.", valueName: "seconds"))
        var timeout: Double?

        func run() async throws {
            let text = try await JobFollower(gateway: try one.remote.gateway()).wait(for: one.job, timeout: timeout)
            try one.format.print(try JobResult(jsonText: text), jsonText: text)
        }
    }

    /// What `show` and `wait` are told: which job, where, and how to print it.
    struct OneJob: ParsableArguments {
        @Argument(help: "The job's id.") var job: String
        @OptionGroup var remote: RemoteOptions
        @Option(help: "Output format: table, json (the result document) or csv (its values).")
        var format: ResultFormat = .table
    }
}
