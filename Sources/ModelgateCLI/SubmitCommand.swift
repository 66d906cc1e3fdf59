import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway

/// `modelgate submit`: a researcher's job sent to a gateway over HTTP, from anywhere.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Send a model spec to a gateway; with --wait, print its result.",
        discussion: """
            Unlike `run`, which needs the gateway's own state folder, `submit` reaches a running \
            gateway (`modelgate serve`) over HTTP as a researcher (or a data owner's dry run), \
            within your agreements. The gateway queues the job and answers at once with its id; \
            `modelgate jobs wait ID` (or --wait here) follows it to its result, with a progress \
            line on a terminal. The result prints as with `run`: a table for reading (the \
            default), the result document as recorded (--format json: keep it, it verifies \
            against the audit log), or its values (--format csv).

            A spec that cannot be read, or names no dataset, is an error at once (exit 1), with \
            the gateway's message naming the key to fix. A spec the gateway reads but refuses \
            (the policy, your agreement, a budget) is a result: exit 3, and its reason.

            Example:
              export MODELGATE_URL=http://127.0.0.1:8080 MODELGATE_TOKEN=mg_…
              modelgate submit models/count-by-district-and-sex.yaml --wait
            Exit status: 0 released (or queued, without --wait), 3 refused, 4 failed in the \
            worker, 1 error (unreachable, a bad token, an unreadable spec, a timeout).
            """
    )

    @Argument(help: ArgumentHelp("The model spec file (YAML or JSON; - reads standard input).", valueName: "spec"))
    var spec: String
    @OptionGroup var remote: RemoteOptions
    @Flag(help: "Wait for the job to end and print its result.") var wait = false
    @Option(help: "Output format: table, json (the result document) or csv (its values).")
    var format: ResultFormat = .table
    @Option(help: ArgumentHelp("Your name for the job, shown in `modelgate jobs list`.", valueName: "text"))
    var label: String?
    @Option(
        help: ArgumentHelp(
            "Send the same key again to get the first job's answer instead of running a second.",
            valueName: "key"))
    var idempotencyKey: String?
    @Option(help: ArgumentHelp("With --wait, give up waiting after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    func run() async throws {
        let gateway = try remote.gateway()
        var text =
            spec == "-"
            ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            : try readText(spec, what: "spec")
        if let label { text = try Self.labelled(text, label) }
        var headers = ["Prefer": "respond-async", "Content-Type": Self.contentType(of: spec, text)]
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        let answer = try await gateway.post("/v1/jobs", body: text, headers: headers)
        guard answer.status == 202, let job = answer.json?["job"] as? String else {
            // Answered at once with its result (an earlier job's, for a key sent again).
            return try format.print(try JobResult(jsonText: answer.text), jsonText: answer.text)
        }
        guard wait else {
            switch format {
            case .json: print(answer.text)
            case .csv: print("job,status\n\(job),queued")
            case .table: print("job \(job) queued; `modelgate jobs wait \(job)` prints its result")
            }
            return
        }
        let document = try await JobFollower(gateway: gateway).wait(for: job, timeout: timeout)
        try format.print(try JobResult(jsonText: document), jsonText: document)
    }

    /// The spec with `label` set: a JSON object's key, or a YAML line after the spec's own
    /// (a spec that already has a label is an error the gateway names).
    static func labelled(_ text: String, _ label: String) throws -> String {
        let quoted = String(decoding: try JSONEncoder().encode(label), as: UTF8.self)
        if text.drop(while: \.isWhitespace).first == "{",
            var object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        {
            object["label"] = label
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        return text + (text.hasSuffix("\n") || text.isEmpty ? "" : "\n") + "label: \(quoted)\n"
    }

    static func contentType(of path: String, _ text: String) -> String {
        path.hasSuffix(".json") || text.drop(while: \.isWhitespace).first == "{"
            ? "application/json" : "application/yaml"
    }
}

/// Follows a job on a gateway until it has ended, with a progress line on a terminal.
struct JobFollower {
    let gateway: RemoteGateway

    /// The job's result document, as the gateway recorded it.
    func wait(for job: String, timeout: Double?) async throws -> String {
        let start = ContinuousClock.now
        var delay = Duration.milliseconds(50)
        let progress = isatty(STDERR_FILENO) != 0
        defer { TerminalProgress.finish() }
        while true {
            let status: String
            switch try await gateway.job(job) {
            case .ended(let text): return text
            case .pending(let pending): status = pending
            }
            let waited = ContinuousClock.now - start
            let seconds = Double(waited.components.seconds) + Double(waited.components.attoseconds) * 1e-18
            if progress {
                let line = "\rjob \(job.prefix(8)) \(status) for \(String(format: "%.1f", seconds)) s "
                FileHandle.standardError.write(Data(line.utf8))
            }
            if let timeout, seconds >= timeout {
                throw ModelgateError(
                    "job_timeout",
                    "job \(job) has not ended after \(timeout) s; `modelgate jobs wait \(job)` goes on waiting")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
        }
    }
}
