import ArgumentParser
import Foundation
import Hummingbird
import ModelgateGateway
import ModelgateServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway's HTTP API.",
        discussion: """
            Serves API v1 (described at /openapi.yaml): the catalog, jobs, applications and \
            agreements, dataset suspension, the audit log and usage report, /health and /metrics. \
            Every /v1 route needs 'Authorization: Bearer <token>' (modelgate principal add). \
            Policies in --policies are loaded at start and on POST /v1/policies/reload. \
            SIGINT or SIGTERM stops it gracefully: running jobs finish, new ones get 503.

            --demo on an empty state ingests the synthetic household survey twice (household-survey, \
            exact results checked for disclosure; household-survey-dp, noisy results within an ε \
            budget), creates one principal per role (tokens in STATE/demo-tokens.json) and an \
            approved agreement over both for the demo researcher, and prints curl lines to try.
            """
    )

    @OptionGroup var state: StateOptions
    @Option(help: ArgumentHelp("Folder of dataset policies to load.", valueName: "dir")) var policies: String =
        "policies"
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 8080
    @Option(help: "Jobs that run at once (default: twice the number of cores).") var jobs: Int?
    @Option(help: "Jobs that may wait for a slot before new ones get 429 (default: 8 per slot).") var queue: Int?
    @Option(
        help: ArgumentHelp(
            "How long a job's lease lasts unrenewed (renewed every third while the job runs): with several gateways on one database, another marks a job interrupted once its gateway stopped renewing it for this long.",
            valueName: "seconds"))
    var leaseSeconds: Int = JobPipeline.defaultLeaseSeconds
    @Flag(help: "Seed an empty state with demo data, principals and an agreement.") var demo = false
    @Flag(help: "Load policies that weaken the ones in force (each weakening is an audit event).")
    var confirmWeaker = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1–65535") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard leaseSeconds >= 3 else { throw ValidationError("--lease-seconds must be at least 3") }
    }

    func run() async throws {
        let folder = URL(fileURLWithPath: policies, isDirectory: true)
        let hasPolicies = FileManager.default.fileExists(atPath: folder.path)
        let server = try APIServer(
            state: state.url, policies: hasPolicies ? folder : nil, concurrency: jobs, queue: queue,
            store: state.openStore(
                pooled: true, connections: 2 * (jobs ?? 2 * ProcessInfo.processInfo.activeProcessorCount) + 4),
            leaseSeconds: leaseSeconds, logger: global.logger("modelgate.server"))
        if demo {
            // The survey as the owner opens it exactly, and the same rows in privacy mode dp.
            let policyTexts = try ["household-survey.yaml", "household-survey-dp.yaml"].map {
                try readText(folder.appendingPathComponent($0).path, what: "demo policy")
            }
            let seeded = FileManager.default.fileExists(
                atPath: server.state.appendingPathComponent(DemoDataset.tokensFile).path)
            say(
                seeded
                    ? "The demo is already prepared in \(state.state); starting it …"
                    : "Preparing the demo in \(state.state) (the first time, 100,000 synthetic rows, twice) …")
            let tokens = try DemoDataset.seed(
                state: server.state, store: server.store, policyTexts: policyTexts, progress: TerminalProgress.make())
            TerminalProgress.finish()
            say("Demo principals (tokens also in \(state.state)/\(DemoDataset.tokensFile)):")
            for (role, token) in [
                ("researcher", tokens.researcher), ("owner", tokens.owner), ("auditor", tokens.auditor),
                ("admin", tokens.admin),
            ] { say("  \(role.padding(toLength: 11, withPad: " ", startingAt: 0)) \(token)") }
            say("\nTry:")
            for line in DemoDataset.curlLines(
                tokens, host: host, port: port, spec: "models/count-by-district-and-sex.yaml")
            {
                say("  " + line)
            }
            say("\nOr as the researcher, from this folder:")
            say("  export MODELGATE_URL=http://\(host):\(port) MODELGATE_TOKEN=\(tokens.researcher)")
            say("  \(CommandLine.arguments[0]) submit models/count-by-district-and-sex.yaml --wait")
            say("  python3 -m venv .venv && .venv/bin/pip install ./clients/python")
            say("  .venv/bin/python clients/python/examples/first_session.py")
            say("")
        }
        if let outcome = try server.start(confirmWeaker: confirmWeaker) {
            PolicyReloadText.say(outcome, say)
        }
        say("modelgate serving on http://\(host):\(port) (Ctrl-C stops it)")
        try await server.application(host: host, port: port).runService()
    }
}

/// A line on standard output at once, unbuffered, also when it is a log file or a pipe.
private func say(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
