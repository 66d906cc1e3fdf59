import ArgumentParser
import Foundation
import ModelgateBenchmarks
import ModelgateCore
import ModelgateGateway
import ModelgateSandbox

struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Check and measure the restricted worker that runs every job.",
        subcommands: [Check.self, Bench.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Attack the worker's lockdown on this host and show what stops each attack.",
            discussion: """
                Runs modelgate-worker for each probe, locked down exactly as for a job, with the \
                probe as its model, twice: started afresh and forked by a fork server: network, files, processes, threads, ptrace, signals, \
                executable memory, descriptors, namespaces, privileges, mounts, and the CPU, \
                memory, output and wall-clock limits. Prints one row per probe and exits 1 if \
                any probe was not stopped by the layer meant to stop it. Run it once on a new host.
                """
        )

        @Option(help: ArgumentHelp("Run only these probes (comma-separated).", valueName: "names"))
        var only: String?

        func run() throws {
            let spawned = try Worker.locate()
            let forked = try Worker.locate(forkServer: true)
            var probes = Probe.allCases
            if let only {
                let names = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let unknown = names.filter { Probe(rawValue: $0) == nil }
                guard unknown.isEmpty else {
                    throw ValidationError(
                        "unknown probe(s) \(unknown.joined(separator: ", ")); known: "
                            + Probe.allCases.map(\.rawValue).joined(separator: ", "))
                }
                probes = names.compactMap(Probe.init(rawValue:))
            }
            // The control runs first: it shows the layers, and if it fails nothing else means much.
            probes = [.control] + probes.filter { $0 != .control }
            print("worker: \(spawned.runner.executable)")
            print("each probe runs twice: in a worker started afresh (as `modelgate run` starts one) and in one")
            print("forked by a fork server (as `modelgate serve` does); both must be stopped\n")
            var failed = 0
            var printedLayers = false
            for probe in probes {
                let verdicts = [try SandboxCheck.run(probe, with: spawned), try SandboxCheck.run(probe, with: forked)]
                if !printedLayers, let layers = verdicts[0].lockdown {
                    print("namespaces:  \(layers.namespaces)")
                    if let forked = verdicts[1].lockdown, forked.namespaces != layers.namespaces {
                        print("             forked: \(forked.namespaces)")
                    }
                    print("root:        \(layers.root)")
                    print("credentials: \(layers.credentials)")
                    print("limits:      \(layers.limits)")
                    print("seccomp:     \(layers.seccomp)\n")
                    printedLayers = true
                }
                let passed = verdicts.allSatisfy(\.passed)
                if !passed { failed += 1 }
                let outcome =
                    verdicts[0].outcome == verdicts[1].outcome
                    ? verdicts[0].outcome : "spawned: \(verdicts[0].outcome); forked: \(verdicts[1].outcome)"
                print("\(passed ? "ok  " : "FAIL") \(pad(probe.rawValue, 24)) \(pad(probe.attempt, 52)) \(outcome)")
            }
            if let why = forked.runner.forkServer?.unavailable {
                print(
                    "\nnote: no fork server could be used (\(why)); the \"forked\" runs were spawned, as serve's would be"
                )
            }
            print(
                failed == 0
                    ? "\nall \(probes.count) probes stopped as expected"
                    : "\n\(failed) of \(probes.count) probes were NOT stopped as expected")
            if failed > 0 { throw ExitCode(1) }
        }

        private func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
    }
}

extension SandboxCommand {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Time a tiny job in the worker against bwrap --unshare-all /usr/bin/true.",
            discussion: """
                Each run spawns the worker, which locks itself down, summarises 1,000 rows of a \
                synthetic survey and exits; then the same in a worker forked by a fork server, as \
                `modelgate serve` runs jobs; then bwrap (Debian's bubblewrap) starts /usr/bin/true \
                in new namespaces. All are started and reaped by the same runner. Prints the \
                medians of wall-clock and CPU time, and the spawned worker's ratio to bwrap \
                (1.0 or less means no dearer than bwrap).
                """
        )

        @Option(help: "Runs of each.") var runs: Int = 300
        @Option(help: ArgumentHelp("The dataset's policy.", valueName: "file"))
        var policy: String = "policies/household-survey.yaml"
        @Option(help: ArgumentHelp("The bwrap executable.", valueName: "path")) var bwrap: String = "/usr/bin/bwrap"

        func validate() throws {
            guard runs > 0 else { throw ValidationError("--runs must be positive") }
        }

        func run() throws {
            let hasBwrap = FileManager.default.isExecutableFile(atPath: bwrap)
            if !hasBwrap { print("no bwrap at \(bwrap) (apt-get install bubblewrap): timing the worker alone") }
            let figures = try SandboxBenchmark.run(
                runs: runs, policyText: try readText(policy, what: "policy"), worker: try Worker.locate(),
                forked: try Worker.locate(forkServer: true), bwrap: hasBwrap ? bwrap : nil,
                progress: { done in
                    if done % 50 == 0 { FileHandle.standardError.write(Data("  \(done)/\(runs) runs\n".utf8)) }
                })
            func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
            let median = SandboxBenchmark.median
            print("runs:                 \(figures.runs) each, interleaved")
            print(
                "worker, spawned:      median \(ms(figures.workerMedian)) wall, \(ms(median(figures.workerCPU))) CPU")
            print(
                "worker, forked:       median \(ms(median(figures.forkedSamples))) wall, "
                    + "\(ms(median(figures.forkedCPU))) CPU (as `modelgate serve` runs jobs)")
            if let bwrapMedian = figures.bwrapMedian {
                print("bwrap /usr/bin/true:  median \(ms(bwrapMedian)) wall")
                print(String(format: "ratio worker/bwrap: %.2f", figures.workerMedian / bwrapMedian))
            }
        }
    }
}
