import Foundation
import ModelgateColumnFiles
import ModelgateColumnar
import ModelgateCore
import ModelgateSandbox
import ModelgateTestSupport
import Testing

/// The restricted worker, attacked: each probe runs in a real `modelgate-worker`, locked down
/// exactly as for a job, and must be stopped by the layer meant to stop it.
@Suite struct SandboxProbeTests {
    @Test(arguments: Probe.allCases)
    func probeIsStoppedByItsLayer(_ probe: Probe) throws {
        let verdict = try SandboxCheck.run(probe, with: try Worker.locate())
        #expect(verdict.reason == probe.expected, "\(probe.rawValue): \(verdict.outcome)")
        #expect(verdict.passed, "\(probe.rawValue): \(verdict.outcome)")
    }

    @Test func lockdownAsRootUsesEveryLayer() throws {
        let verdict = try SandboxCheck.run(.control, with: try Worker.locate())
        let layers = try #require(verdict.lockdown)
        if geteuid() == 0 {
            #expect(layers.namespaces == "mount, network, IPC, UTS")
            #expect(layers.credentials.hasPrefix("uid 65534 gid 65534"))
        }
        #expect(layers.root == "empty read-only tmpfs" || layers.namespaces.hasPrefix("none"))
        #expect(layers.limits.contains("cpu 1 s"))
    }

    /// Started as an unprivileged user (through setpriv), the worker takes a user namespace
    /// instead, and every probe is still stopped.
    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func unprivilegedWorkerIsStoppedToo() throws {
        let folder = try TemporaryFolder()
        let real = try Worker.locate().runner.executable
        let wrapper = try folder.executable(
            "nonroot.sh", "#!/bin/sh\nexec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups \(real) \"$@\"\n"
        )
        // The folder must be reachable by the unprivileged user.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.url.path)
        let worker = Worker(executable: wrapper.path)
        let control = try SandboxCheck.run(.control, with: worker)
        #expect(control.passed, "\(control.outcome)")
        #expect(control.lockdown?.credentials.hasPrefix("uid 65534") == true)
        for probe in [Probe.socket, .openFile, .setuid, .memoryBomb] {
            let verdict = try SandboxCheck.run(probe, with: worker)
            #expect(verdict.reason == probe.expected, "\(probe.rawValue): \(verdict.outcome)")
        }
    }
}

/// How a worker that dies is reported: each way of dying has its own reason code. The workers
/// here are stand-in scripts that die the way a real one could.
@Suite struct WorkerFailureTests {
    func outcome(_ script: String) throws -> WorkerOutcome {
        let folder = try TemporaryFolder()
        let file = try folder.executable("worker.sh", "#!/bin/sh\n" + script + "\n")
        return try Worker(executable: file.path).run(.probe(.control, parentProcess: 0), columns: nil, limits: .init())
    }

    func reason(_ outcome: WorkerOutcome) -> Refusal? {
        if case .failed(let failure) = outcome.ending { return failure }
        return nil
    }

    @Test func aSegmentationFaultIsACrash() throws {
        let result = try outcome("kill -SEGV $$")
        #expect(reason(result)?.code == .crashed)
        #expect(result.diagnostics.contains("signaled(\(SIGSEGV))"))
    }

    /// What the worker wrote or chose (stderr, its exit status) is for the operator's log: a
    /// worker whose code went wrong could put data there, so the reason never quotes it.
    @Test func aNonZeroExitIsACrashThatKeepsStderrForTheLogOnly() throws {
        let result = try outcome("echo 'income of P17 is 51234' >&2; exit 7")
        let failure = try #require(reason(result))
        #expect(failure.code == .crashed)
        #expect(!failure.message.contains("51234") && !failure.message.contains("7"))
        #expect(result.diagnostics.contains("exited(7)") && result.diagnostics.contains("income of P17 is 51234"))
    }

    @Test func anUnreadableReplyIsACrashNotAResult() throws {
        let result = try outcome("printf 'secret 51234'; exit 0")
        let failure = try #require(reason(result))
        #expect(failure.code == .crashed)
        #expect(failure.message.contains("could not be read") && !failure.message.contains("51234"))
    }

    /// Once locked down, a worker cannot pass its own failure off as the host's by exiting with
    /// a lockdown step's status: it announced the lockdown before it read its request.
    @Test func aLockdownStatusAfterLockdownIsACrash() throws {
        let status = LockdownStep.namespaces.rawValue
        let result = try outcome("printf '\\006' >&2; exit \(status)")
        #expect(reason(result)?.code == .crashed)
    }

    @Test func aSIGSYSIsASandboxViolation() throws {
        #expect(reason(try outcome("kill -SYS $$"))?.code == .sandboxViolation)
    }

    @Test func aWorkerThatCannotLockDownIsAnOperatorError() throws {
        let status = LockdownStep.namespaces.rawValue
        #expect {
            try outcome("echo 'unsharing namespaces: Operation not permitted' >&2; exit \(status)")
        } throws: { error in
            let error = error as? ModelgateError
            return error?.code == "sandbox_unavailable" && error?.message.contains("unsharing namespaces") == true
        }
    }

    @Test func aMissingWorkerIsAnOperatorError() throws {
        #expect(throws: ModelgateError.self) {
            try Worker(executable: "/nonexistent/modelgate-worker").run(
                .probe(.control, parentProcess: 0), columns: nil, limits: .init())
        }
    }

    @Test func lockdownArgumentsRoundTripAndRejectNonsense() {
        let settings = LockdownSettings(cpuSeconds: 30, memoryBytes: 1 << 30, descriptors: 4)
        #expect(LockdownSettings(arguments: settings.arguments) == settings)
        #expect(
            LockdownSettings(arguments: ["--cpu-seconds", "0", "--memory-bytes", "1", "--descriptors", "0"]) == nil)
        #expect(
            LockdownSettings(arguments: ["--memory-bytes", "1", "--cpu-seconds", "1", "--descriptors", "0"]) == nil)
        #expect(LockdownSettings(arguments: []) == nil)
    }
}
