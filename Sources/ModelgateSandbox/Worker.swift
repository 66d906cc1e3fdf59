import ModelgateColumnFiles
import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// The parent's side of a job's restricted process: starts `modelgate-worker` with the policy's
/// limits, hands it the column files and the task, and turns how it ended into a reply or a
/// precise failure.
package struct Worker: Sendable {
    package let runner: WorkerRunner

    /// With `forkServer`, workers are forked from one warmed-up `modelgate-worker` (see
    /// ``ForkServer``), for a process that runs many jobs.
    package init(
        executable: String, forkServer: Bool = false, forksPerServer: Int = ForkServer.defaultForksPerServer
    ) {
        runner = WorkerRunner(
            executable: executable,
            forkServer: forkServer ? ForkServer(executable: executable, forksPerServer: forksPerServer) : nil)
    }

    /// The executable's name, looked for next to the running program.
    package static let executableName = "modelgate-worker"

    /// `MODELGATE_WORKER` if set, else `modelgate-worker` in the running program's folder.
    package static func locate(forkServer: Bool = false) throws -> Worker {
        if let path = getenv("MODELGATE_WORKER").map({ String(cString: $0) }), !path.isEmpty {
            guard access(path, X_OK) == 0 else {
                throw ModelgateError("worker_unavailable", "MODELGATE_WORKER=\(path) is not an executable file")
            }
            return Worker(executable: path, forkServer: forkServer)
        }
        let program = try runningProgram()
        let path =
            program.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/") + "/" + executableName
        guard access(path, X_OK) == 0 else {
            throw ModelgateError(
                "worker_unavailable",
                "\(executableName) is not next to \(program); build it (swift build) or set MODELGATE_WORKER")
        }
        return Worker(executable: path, forkServer: forkServer)
    }

    /// The path of the program running now, from `/proc/self/exe`.
    package static func runningProgram() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw ModelgateError("worker_unavailable", "cannot read /proc/self/exe") }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs a task in a locked-down worker. Throws only when the worker cannot be started or
    /// cannot lock itself down on this host (``neverReadData(_:)`` is true of both errors: the
    /// worker locks down before it reads its request), or when waiting for it fails (`worker_lost`);
    /// everything the worker does is in the outcome.
    /// With `labels`, the worker also writes each row's label there (see ``RowLabels``).
    ///
    /// A regression's worker writes the labels before it fits; `labelled` is then called (on this
    /// thread, at most once, and it must return promptly). The worker may still write to the
    /// labels afterwards, if its code went wrong: whatever reads them from then on must take a copy
    /// and rely only on that.
    package func run(
        _ task: WorkerTask, columns: OpenedColumns?, labels: RowLabelBuffer? = nil, limits: ResourceLimits,
        labelled: (() -> Void)? = nil
    ) throws -> WorkerOutcome {
        var descriptors = columns?.descriptors ?? []
        var handedLabels: HandedFile?
        if let labels {
            handedLabels = labels.handed
            handedLabels?.descriptor = 3 + Int32(descriptors.count)
            descriptors.append(labels.descriptor)
        }
        let request = WorkerRequest(
            rowCount: columns?.rowCount ?? 0, columns: columns?.handed(from: 3) ?? [], task: task,
            labels: handedLabels)
        let settings = LockdownSettings(limits: limits, descriptors: descriptors.count)
        labels?.reusable = false
        let exit = try runner.run(
            arguments: settings.arguments, input: try request.framed(), descriptors: descriptors,
            caps: .init(
                wallSeconds: Double(limits.wallSeconds), outputBytes: min(limits.outputBytes, Self.maximumOutputBytes)),
            labelled: labels == nil ? nil : labelled)
        // Reaped: nothing else can write the labels now.
        labels?.reusable = true
        return try WorkerOutcome(exit, limits: limits)
    }

    /// Whether `error`, thrown by ``run(_:columns:labels:limits:)``, means that no worker read any
    /// data: it never started, or stopped before its lockdown was complete.
    package static func neverReadData(_ error: any Error) -> Bool {
        guard let error = error as? ModelgateError else { return false }
        return error.code == "worker_unavailable" || error.code == "sandbox_unavailable"
    }

    /// The most a worker may write, whatever its policy allows: the reply is decoded in this
    /// process, at a few times its size, once per concurrent job.
    package static let maximumOutputBytes = 16 << 20
}

/// How a job's worker ended, and what it used.
package struct WorkerOutcome: Sendable {
    package enum Ending: Sendable {
        case reply(WorkerReply)
        case failed(Refusal)
    }

    package var ending: Ending
    /// The layers the worker applied; nil when it sent no readable response.
    package var lockdown: LockdownReport?
    package var cpuSeconds: Double
    package var wallSeconds: Double
    /// As the worker measured it; for a worker that died, its `ru_maxrss`, which is at least
    /// the resident set of this process when it was spawned.
    package var peakMemoryBytes: Int
    /// What the worker wrote to stderr, its exit status or signal, a reply that did not decode:
    /// for the operator's log only. A failure's message never carries anything the worker
    /// chose, because a worker whose code went wrong could put data there.
    package var diagnostics: String

    init(_ exit: WorkerExit, limits: ResourceLimits) throws {
        cpuSeconds = exit.cpuSeconds
        wallSeconds = exit.wallSeconds
        peakMemoryBytes = exit.peakMemoryBytes
        lockdown = nil
        let lockedDown = exit.stderr.first == WorkerChannel.lockedDownMarker
        let markers = exit.stderr.starts(with: WorkerChannel.labelledPrefix) ? 2 : lockedDown ? 1 : 0
        let errors = String(decoding: exit.stderr.dropFirst(markers), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " | ")
        diagnostics = "\(exit.termination)" + (errors.isEmpty ? "" : ": \(errors)")
        if let failure = try Self.failure(exit, limits, lockedDown: lockedDown, errors: errors) {
            ending = .failed(failure)
            return
        }
        do {
            let response = try WireCodec.decode(WorkerResponse.self, from: exit.stdout)
            lockdown = response.lockdown
            ending = .reply(response.reply)
            peakMemoryBytes = response.peakMemoryBytes ?? peakMemoryBytes
        } catch {
            diagnostics += "; reply unreadable: \(error)"
            ending = .failed(Refusal(.crashed, "the worker exited normally but its reply could not be read"))
        }
    }

    /// Why a worker did not deliver, from how it ended; nil when it exited 0. Throws when it
    /// could not lock itself down: that is the host's problem, not the job's. Only a worker that
    /// has not yet locked down can say so: one that did wrote the marker first, before it read
    /// its request, so a job cannot pass its own failure off as the host's.
    static func failure(_ exit: WorkerExit, _ limits: ResourceLimits, lockedDown: Bool, errors: String) throws
        -> Refusal?
    {
        switch exit.stoppedBy {
        case .wallTimeout:
            return Refusal(
                .wallTimeout,
                "the job ran longer than the policy's wall-clock limit of \(limits.wallSeconds) s and was stopped")
        case .outputTooLarge:
            return Refusal(
                .outputTooLarge,
                "the job wrote more than the policy's \(limits.outputBytes) bytes of output and was stopped")
        case nil: break
        }
        switch exit.termination {
        case .exited(0):
            return nil
        case .exited(let status):
            if !lockedDown, let step = LockdownStep(rawValue: status) {
                throw ModelgateError(
                    "sandbox_unavailable",
                    "the worker could not lock itself down (\(step.title)): \(errors); run `modelgate sandbox check`")
            }
            return Refusal(.crashed, "the worker exited abnormally")
        case .signaled(let signal):
            if signal == SIGSYS {
                return Refusal(
                    .sandboxViolation, "the worker attempted a system call outside its allowlist and was killed")
            }
            if signal == SIGXCPU || (signal == SIGKILL && exit.cpuSeconds >= Double(limits.cpuSeconds)) {
                return Refusal(.cpuLimit, "the job used up the policy's \(limits.cpuSeconds) CPU seconds")
            }
            // The Swift runtime reports a refused allocation on stderr, then aborts.
            if signal == SIGABRT && errors.contains("failed to allocate") {
                return Refusal(
                    .memoryLimit, "the job needed more than the policy's \(limits.memoryMegabytes) MiB of memory")
            }
            return Refusal(.crashed, "the worker died of a signal")
        }
    }
}
