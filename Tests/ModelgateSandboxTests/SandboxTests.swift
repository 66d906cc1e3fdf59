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
        for forkServer in [false, true] {
            let worker = Worker(executable: wrapper.path, forkServer: forkServer)
            let control = try SandboxCheck.run(.control, with: worker)
            #expect(control.passed, "\(control.outcome)")
            #expect(control.lockdown?.credentials.hasPrefix("uid 65534") == true)
            for probe in [Probe.socket, .openFile, .setuid, .memoryBomb] {
                let verdict = try SandboxCheck.run(probe, with: worker)
                #expect(verdict.reason == probe.expected, "\(probe.rawValue) (fork server: \(forkServer))")
            }
            #expect(worker.runner.forkServer?.unavailable == nil)
        }
    }
}

/// The same attacks on workers forked by a fork server, as `modelgate serve` runs jobs: forking
/// changes how the process starts, not how it is locked down.
@Suite struct ForkedWorkerTests {
    /// One server for every test here, as a gateway has; the probes run on it concurrently.
    static let forked = Result { try Worker.locate(forkServer: true) }

    @Test(arguments: Probe.allCases)
    func probeIsStoppedInAForkedWorker(_ probe: Probe) throws {
        let worker = try Self.forked.get()
        let verdict = try SandboxCheck.run(probe, with: worker)
        #expect(verdict.reason == probe.expected, "\(probe.rawValue): \(verdict.outcome)")
        #expect(verdict.passed, "\(probe.rawValue): \(verdict.outcome)")
        #expect(worker.runner.forkServer?.unavailable == nil)
    }

    @Test func aForkedWorkerIsLockedDownAsASpawnedOneIs() throws {
        let spawned = try #require(try SandboxCheck.run(.control, with: try Worker.locate()).lockdown)
        let forked = try #require(try SandboxCheck.run(.control, with: try Self.forked.get()).lockdown)
        if geteuid() == 0 {
            // As root, the fork server's workers are in the empty namespaces it made once.
            #expect(spawned.namespaces == "mount, network, IPC, UTS")
            #expect(forked.namespaces == "mount, network, IPC, UTS: \(Lockdown.sharedNamespaces)")
        } else {
            #expect(forked.namespaces == spawned.namespaces)
        }
        #expect(forked.root == spawned.root)
        #expect(forked.credentials == spawned.credentials)
        #expect(forked.seccomp == spawned.seccomp)
        // The address space allowed is the job's limit on top of what the process has mapped.
        func withoutAddressSpace(_ limits: String) -> String {
            limits.replacing(/address space \d+ MiB/, with: "address space")
        }
        #expect(withoutAddressSpace(forked.limits) == withoutAddressSpace(spawned.limits))
    }

    /// What a root fork server's workers are forked into, looked at from outside: namespaces
    /// that are not the gateway's, a root with nothing in it, and a network with only a loopback
    /// that is down and no route, IPC that can hold nothing, and a server with no capability but
    /// the two its children need.
    @Test func aRootForkServersWorkersStartInEmptyNamespacesOfTheirOwn() throws {
        guard geteuid() == 0 else { return }
        let worker = try Self.forked.get()
        _ = try SandboxCheck.run(.control, with: worker)
        let server = try #require(worker.runner.forkServer?.processID)
        func link(_ path: String) throws -> String {
            try FileManager.default.destinationOfSymbolicLink(atPath: path)
        }
        for namespace in ["mnt", "net", "ipc", "uts"] {
            #expect(
                try link("/proc/\(server)/ns/\(namespace)") != link("/proc/self/ns/\(namespace)"),
                "the fork server shares the gateway's \(namespace) namespace")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server)/root/").isEmpty)
        // The server itself keeps only what its children need to become uid 65534: CAP_SETGID
        // (6) and CAP_SETUID (7), in every set that could give it more.
        let status = try String(contentsOfFile: "/proc/\(server)/status", encoding: .utf8).split(separator: "\n")
        for set in ["CapPrm:", "CapEff:", "CapBnd:"] {
            let mask = status.first { $0.hasPrefix(set) }?.split(separator: "\t").last.flatMap { UInt64($0, radix: 16) }
            #expect(mask == 0xC0, "\(set) \(String(mask ?? 0, radix: 16))")
        }
        let mounts = try String(contentsOfFile: "/proc/\(server)/mountinfo", encoding: .utf8)
            .split(separator: "\n")
        #expect(mounts.count == 1 && mounts[0].contains(" / / ro,"), "\(mounts)")
        // Interfaces: the two header lines of /proc/net/dev, then one line per interface.
        let interfaces = try String(contentsOfFile: "/proc/\(server)/net/dev", encoding: .utf8)
            .split(separator: "\n").dropFirst(2).map {
                $0.split(separator: ":")[0].trimmingCharacters(in: .whitespaces)
            }
        #expect(interfaces == ["lo"])
        // No route anywhere (the loopback is down): at most the header line.
        let routes = try String(contentsOfFile: "/proc/\(server)/net/route", encoding: .utf8).split(separator: "\n")
        #expect(routes.dropFirst().isEmpty, "\(routes)")
        // Its IPC namespace outlives each job: nothing can be made in it to leave for the next,
        // not even by root (util-linux's nsenter enters it, ipcmk tries each kind of object).
        for kind in ["-M 4096", "-Q", "-S 1"] {
            let attempt = Process()
            attempt.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
            attempt.arguments = ["-t", "\(server)", "-i", "ipcmk"] + kind.split(separator: " ").map(String.init)
            attempt.standardOutput = FileHandle.nullDevice
            attempt.standardError = FileHandle.nullDevice
            try attempt.run()
            attempt.waitUntilExit()
            #expect(attempt.terminationStatus != 0, "ipcmk \(kind) made an object in the fork server's namespace")
        }
    }

    /// The worker reads its thread count (before lockdown) and its peak memory (after the job)
    /// from its own status file, byte by byte: the field on its own line, the number after it.
    @Test func statusFieldsAreReadFromTheirOwnLines() throws {
        let folder = try TemporaryFolder()
        let file = folder.url.appendingPathComponent("status")
        try "Name:\tmodelgate-worke\nThreadsX:\t9\nThreads:\t1\nVmHWM:\t    2048 kB\nVmRSS:\t\n".write(
            to: file, atomically: true, encoding: .utf8)
        let descriptor = open(file.path, O_RDONLY)
        defer { close(descriptor) }
        #expect(Lockdown.readStatusField("Threads:", descriptor: descriptor) == 1)
        #expect(Lockdown.readStatusField("VmHWM:", descriptor: descriptor) == 2048)
        #expect(Lockdown.readStatusField("VmRSS:", descriptor: descriptor) == nil)
        #expect(Lockdown.readStatusField("VmPeak:", descriptor: descriptor) == nil)
    }

    /// Label files are reused from job to job: one handed to a job reads all ``RowLabels/outside``
    /// whatever the job before wrote in it.
    @Test func aReusedLabelFileStartsCleared() throws {
        let rows = 4099
        for round in 0..<3 {
            let buffer = try RowLabelBuffer(rowCount: rows)
            #expect(buffer.labels.allSatisfy { $0 == RowLabels.outside }, "round \(round)")
            let written = UnsafeMutablePointer(mutating: try #require(buffer.labels.baseAddress))
            for row in 0..<rows { written[row] = UInt32(row % 7 + 1) }
        }
    }

    /// The network namespace a root fork server makes for its workers is not the host's, and
    /// has nothing in it: a loopback and no route (the loopback is down).
    @Test(.enabled(if: geteuid() == 0)) func theSharedNetworkNamespaceIsEmpty() throws {
        let worker = try Self.forked.get()
        #expect(try SandboxCheck.run(.control, with: worker).passed)
        let server = try #require(worker.runner.forkServer?.processID)
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        let its = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server)/ns/net")
        #expect(own != its)
        let devices = try String(contentsOfFile: "/proc/\(server)/net/dev", encoding: .utf8)
            .split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: ":").first }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(devices == ["lo"])
        let routes = try String(contentsOfFile: "/proc/\(server)/net/route", encoding: .utf8)
            .split(separator: "\n").dropFirst()
        #expect(routes.isEmpty)
    }

    /// A server that dies before its first fork (here a stand-in that exits at once) leaves the
    /// workers spawned: the jobs run.
    @Test func aForkServerThatCannotForkLeavesWorkersSpawned() throws {
        let folder = try TemporaryFolder()
        let real = try Worker.locate().runner.executable
        let wrapper = try folder.executable(
            "worker.sh", "#!/bin/sh\n[ \"$1\" = --fork-server ] && exit 3\nexec \(real) \"$@\"\n")
        let worker = Worker(executable: wrapper.path, forkServer: true)
        for _ in 0..<3 {
            let control = try SandboxCheck.run(.control, with: worker)
            #expect(control.passed, "\(control.outcome)")
        }
        #expect(worker.runner.forkServer?.unavailable != nil)
    }

    /// A request that reached the server, which then died without answering, is not sent again
    /// to a new one: a worker may have been forked for it, and two would share the job. The job
    /// fails; the next ones are spawned (this server never forked anything).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func aRequestWhoseAnswerWasLostIsNotSentAgain() throws {
        let folder = try TemporaryFolder()
        let real = try Worker.locate().runner.executable
        let starts = folder.url.appendingPathComponent("starts")
        // A stand-in server: says it is ready, takes one request, dies without answering.
        let server =
            "import socket, os, struct\nsock = socket.socket(fileno=3)\nsock.send(struct.pack('<i', 0))\n"
            + "sock.recvmsg(65536, 4096)\nos._exit(0)\n"
        try server.write(to: folder.url.appendingPathComponent("server.py"), atomically: true, encoding: .utf8)
        let wrapper = try folder.executable(
            "worker.sh",
            "#!/bin/sh\nif [ \"$1\" = --fork-server ]; then echo start >> \(starts.path); "
                + "exec /usr/bin/python3 \(folder.url.path)/server.py; fi\nexec \(real) \"$@\"\n")
        let worker = Worker(executable: wrapper.path, forkServer: true)
        #expect(throws: ModelgateError.self) { try SandboxCheck.run(.control, with: worker) }
        #expect(try String(contentsOf: starts, encoding: .utf8) == "start\n")
        #expect(try SandboxCheck.run(.control, with: worker).passed)
        #expect(worker.runner.forkServer?.unavailable != nil)
    }

    /// A server is replaced after a number of forks, so that workers do not share one address
    /// space's layout and canaries for ever.
    @Test func aForkServerIsReplacedAfterItsForks() throws {
        let worker = try Worker(executable: Worker.locate().runner.executable, forkServer: true, forksPerServer: 2)
        let server = try #require(worker.runner.forkServer)
        var servers: [pid_t] = []
        for _ in 0..<4 {
            #expect(try SandboxCheck.run(.control, with: worker).passed)
            if let pid = server.processID { servers.append(pid) }
        }
        // After the 2nd and 4th forks the server was stopped; the 3rd started a new one.
        #expect(servers.count == 2 && servers[0] != servers[1], "\(servers)")
    }

    /// A fork server killed (by the operator, the OOM killer) is replaced at the next job, which
    /// runs.
    @Test func aForkServerThatDiesIsReplaced() throws {
        let worker = try Worker.locate(forkServer: true)
        let server = try #require(worker.runner.forkServer)
        #expect(try SandboxCheck.run(.control, with: worker).passed)
        let first = try #require(server.processID)
        #expect(kill(first, SIGKILL) == 0)
        // Dead (a zombie until the next job reaps it), so its socket is closed: a request sent
        // while it was still dying would count as lost, and that job would fail.
        for _ in 0..<1000 {
            let stat = (try? String(contentsOfFile: "/proc/\(first)/stat", encoding: .utf8)) ?? ""
            if stat.contains(") Z ") { break }
            usleep(1000)
        }
        let control = try SandboxCheck.run(.control, with: worker)
        #expect(control.passed, "\(control.outcome)")
        let second = try #require(server.processID)
        #expect(second != first)
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

    /// How often a worker running `script`, handed a label buffer, has the gateway told that its
    /// labels are written, and the diagnostics its outcome keeps.
    func labelledCalls(_ script: String) throws -> (calls: Int, outcome: WorkerOutcome) {
        let folder = try TemporaryFolder()
        let file = try folder.executable("worker.sh", "#!/bin/sh\n" + script + "\n")
        var calls = 0
        let outcome = try Worker(executable: file.path).run(
            .probe(.control, parentProcess: 0), columns: nil, labels: try RowLabelBuffer(rowCount: 8),
            limits: .init(), labelled: { calls += 1 })
        return (calls, outcome)
    }

    /// A regression's worker says when its labels are written, right after its lockdown marker:
    /// the gateway hears it once, and never from the same byte written anywhere else in stderr.
    @Test func theLabelsMarkerIsHeardOnceAndOnlyRightAfterTheLockdownMarker() throws {
        let heard = try labelledCalls("printf '\\006\\007' >&2; sleep 0.2; printf '\\007\\007' >&2; exit 3")
        #expect(heard.calls == 1)
        // The markers are not part of what the log keeps of stderr.
        #expect(heard.outcome.diagnostics.hasSuffix("exited(3): \u{07}\u{07}"))
        #expect(try labelledCalls("printf '\\007' >&2; exit 0").calls == 0)
        #expect(try labelledCalls("printf '\\006x\\007' >&2; exit 0").calls == 0)
        #expect(try labelledCalls("printf '\\006' >&2; sleep 0.1; printf '\\007' >&2; exit 0").calls == 1)
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
