import CSandboxShim
import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// How a worker process ended, with what it wrote and what it used.
package struct WorkerExit: Sendable {
    package enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }
    /// Why the runner itself stopped the worker, if it did.
    package enum Stop: Sendable, Equatable {
        case wallTimeout
        case outputTooLarge
    }

    package var termination: Termination
    package var stoppedBy: Stop?
    package var stdout: [UInt8]
    /// The first ``WorkerRunner/Caps/keptErrorBytes`` bytes of stderr.
    package var stderr: [UInt8]
    package var cpuSeconds: Double
    package var wallSeconds: Double
    package var peakMemoryBytes: Int
}

/// Starts a process with `posix_spawn` (never `fork`, which is unsafe in a Swift process),
/// hands it exactly the given descriptors, writes its stdin, and watches it: wall-clock limit
/// (the process group is killed), caps on stdout and stderr, then exit status, CPU time and peak
/// memory from `wait4`.
///
/// Blocking: call it from a thread that may wait as long as the wall-clock limit.
package struct WorkerRunner: Sendable {
    package struct Caps: Sendable {
        package var wallSeconds: Double
        /// Most bytes the worker may write to stdout, and to stderr.
        package var outputBytes: Int
        /// How much of stderr is kept for diagnosis.
        package var keptErrorBytes: Int = 16 << 10

        package init(wallSeconds: Double, outputBytes: Int) {
            self.wallSeconds = wallSeconds
            self.outputBytes = outputBytes
        }
    }

    package let executable: String
    /// Forks workers from a warmed-up image instead of starting the executable for each; nil
    /// spawns each one (a one-job command needs no server).
    package let forkServer: ForkServer?

    package init(executable: String, forkServer: ForkServer? = nil) {
        self.executable = executable
        self.forkServer = forkServer
    }

    /// Runs the executable with `arguments`; `descriptors` become its 3, 4, … in order. Its stdin
    /// gets `input` and then stays open, without more data, until it exits: a worker waiting for
    /// input it will never get is a hang that the wall clock ends.
    ///
    /// `labelled` is called, on this thread and at most once, when the worker writes
    /// ``WorkerChannel/labelledMarker`` right after its lockdown marker; it must return promptly.
    package func run(
        arguments: [String], input: [UInt8], descriptors: [Int32], caps: Caps, labelled: (() -> Void)? = nil
    ) throws -> WorkerExit {
        Self.ignoreBrokenPipes
        let stdin = try Pipe()
        let stdout = try Pipe()
        let stderr = try Pipe()
        let start = ContinuousClock.now
        let pid =
            try forkServer?.launch(
                arguments: arguments, standard: [stdin.read, stdout.write, stderr.write], descriptors: descriptors)
            ?? spawn(arguments, stdin: stdin.read, stdout: stdout.write, stderr: stderr.write, descriptors)
        stdin.closeRead()
        stdout.closeWrite()
        stderr.closeWrite()

        let deadline = start + .milliseconds(Int64(caps.wallSeconds * 1000))
        // The pipes own the descriptor numbers the watch polls: they must outlive it, or a number
        // could be reused by another job's descriptor while this one still reads it.
        let (stop, watch, status, usage) = try withExtendedLifetime((stdin, stdout, stderr)) {
            var watch = Watch(
                stdin: stdin.write, stdout: stdout.read, stderr: stderr.read, input: input, caps: caps,
                labelled: labelled)
            var stop = watch.untilExit(deadline: deadline)
            if stop != nil { Self.kill(pid) }
            let (status, usage, timedOut) = try Self.reap(pid, deadline: deadline)
            if timedOut && stop == nil { stop = .wallTimeout }
            return (stop, watch, status, usage)
        }
        let wall = ContinuousClock.now - start
        let signal = status & 0x7f
        return WorkerExit(
            termination: signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal), stoppedBy: stop,
            stdout: watch.output, stderr: watch.errors,
            cpuSeconds: Self.seconds(usage.ru_utime) + Self.seconds(usage.ru_stime),
            wallSeconds: wall.seconds,
            peakMemoryBytes: usage.ru_maxrss * 1024)
    }

    /// Waits for the worker to exit: until the deadline, then it kills the process group. Its
    /// pipes at end of file usually mean it has exited, but a worker could close them and live.
    /// Woken by the worker's exit (a pidfd), where the kernel has them; else by polling.
    private static func reap(_ pid: pid_t, deadline: ContinuousClock.Instant) throws -> (Int32, rusage, Bool) {
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        let exited = mg_pidfd_open(pid)
        defer { if exited >= 0 { close(exited) } }
        var pause = timespec(tv_sec: 0, tv_nsec: 50_000)
        while true {
            let options = timedOut ? 0 : WNOHANG
            let reaped = wait4(pid, &status, options, &usage)
            if reaped == pid { return (status, usage, timedOut) }
            if reaped < 0 && errno == EINTR { continue }
            // A failed wait must never pass for a clean exit (status 0 with no usage).
            // The worker ran (and may have read its data): not `worker_unavailable`, which says
            // that no worker ever started.
            guard reaped == 0 else {
                throw ModelgateError(
                    "worker_lost", "waiting for the worker failed: \(String(cString: strerror(errno)))")
            }
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero {
                Self.kill(pid)
                timedOut = true
            } else if exited >= 0 {
                var watch = pollfd(fd: exited, events: Int16(POLLIN), revents: 0)
                _ = poll(&watch, 1, Int32(min(left / .milliseconds(1), 3_600_000)) + 1)
            } else {
                nanosleep(&pause, nil)
                pause.tv_nsec = min(pause.tv_nsec * 2, 5_000_000)
            }
        }
    }

    /// Kills the worker's process group, and the worker itself in case it has not yet made that
    /// group (a forked worker makes it first thing).
    private static func kill(_ pid: pid_t) {
        _ = Glibc.kill(-pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
    }

    func spawn(
        _ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32, _ descriptors: [Int32]
    ) throws -> pid_t {
        // Move every source above the target range first, so that no dup2 overwrites a source
        // that a later one still needs; the moved copies are close-on-exec.
        let floor = Int32(3 + descriptors.count)
        let sources = try ([stdin, stdout, stderr] + descriptors).map { fd in
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, floor)
            guard moved >= 0 else { throw Self.failure("duplicating a descriptor") }
            return moved
        }
        defer { for fd in sources { close(fd) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in sources.enumerated() {
            try Self.check(posix_spawn_file_actions_adddup2(&actions, source, Int32(target)), "placing a descriptor")
        }
        // Nothing else this process has open reaches the worker, close-on-exec or not.
        try Self.check(mg_spawn_add_close_from(&actions, floor), "closing other descriptors")

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (so a kill reaches all of it), default signal handling and an
        // empty signal mask whatever this process has set.
        try Self.check(
            posix_spawnattr_setflags(
                &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
            "spawn flags")
        try Self.check(posix_spawnattr_setpgroup(&attributes, 0), "a process group")
        var signals = sigset_t()
        sigemptyset(&signals)
        try Self.check(posix_spawnattr_setsigmask(&attributes, &signals), "a signal mask")
        sigfillset(&signals)
        try Self.check(posix_spawnattr_setsigdefault(&attributes, &signals), "default signal handling")

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        // The Swift runtime's crash backtracer would try to read files and start a process.
        let environment: [UnsafeMutablePointer<CChar>?] = [strdup("SWIFT_BACKTRACE=enable=no"), nil]
        defer { for pointer in argv + environment { free(pointer) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        guard error == 0 else {
            throw ModelgateError(
                "worker_unavailable", "cannot start the worker \(executable): \(String(cString: strerror(error)))")
        }
        return pid
    }

    /// Writing to the stdin of a worker that died must be an error, not this process's death.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    static func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) * 1e-6 }

    /// posix_spawn's helpers return an error number rather than setting errno.
    private static func check(_ error: Int32, _ what: String) throws {
        guard error == 0 else {
            throw ModelgateError(
                "worker_unavailable", "setting up \(what) for the worker failed: \(String(cString: strerror(error)))")
        }
    }

    static func failure(_ what: String) -> ModelgateError {
        ModelgateError("worker_unavailable", "\(what) for the worker failed: \(String(cString: strerror(errno)))")
    }
}

/// Feeds stdin and drains stdout and stderr with poll until both reach end of file (the worker
/// cannot close them, so that is its exit), or a limit is hit.
private struct Watch {
    let stdin: Int32
    let stdout: Int32
    let stderr: Int32
    let input: [UInt8]
    let caps: WorkerRunner.Caps
    var written = 0
    var output: [UInt8] = []
    var errors: [UInt8] = []
    var errorBytes = 0
    var labelled: (() -> Void)?

    init(
        stdin: Int32, stdout: Int32, stderr: Int32, input: [UInt8], caps: WorkerRunner.Caps,
        labelled: (() -> Void)?
    ) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.input = input
        self.caps = caps
        self.labelled = labelled
        for fd in [stdin, stdout, stderr] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    mutating func untilExit(deadline: ContinuousClock.Instant) -> WorkerExit.Stop? {
        var open = (stdout: true, stderr: true)
        // Not cleared first: only what `read` put in it is ever used.
        var buffer = [UInt8](unsafeUninitializedCapacity: 64 << 10) { _, count in count = 64 << 10 }
        while open.stdout || open.stderr {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return .wallTimeout }
            let milliseconds = Int32(min(left / .milliseconds(1), 3_600_000)) + 1
            var fds = [
                pollfd(fd: written < input.count ? stdin : -1, events: Int16(POLLOUT), revents: 0),
                pollfd(fd: open.stdout ? stdout : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open.stderr ? stderr : -1, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 3, milliseconds) < 0 {
                if errno == EINTR { continue }
                return .wallTimeout
            }
            if fds[0].revents != 0 {
                let count = input[written...].withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
                // A worker that stops reading (it died) gets no more input.
                if count > 0 { written += count } else if errno != EAGAIN { written = input.count }
            }
            if fds[1].revents != 0 {
                let count = read(stdout, &buffer, buffer.count)
                if count > 0 {
                    output.append(contentsOf: buffer[..<count])
                    if output.count > caps.outputBytes { return .outputTooLarge }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    open.stdout = false
                }
            }
            if fds[2].revents != 0 {
                let count = read(stderr, &buffer, buffer.count)
                if count > 0 {
                    errors.append(contentsOf: buffer[..<min(count, caps.keptErrorBytes - errors.count)])
                    errorBytes += count
                    if errorBytes > caps.outputBytes { return .outputTooLarge }
                    if let signal = labelled, errors.starts(with: WorkerChannel.labelledPrefix) {
                        labelled = nil
                        signal()
                    }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    open.stderr = false
                }
            }
        }
        return nil
    }
}

/// A pipe whose ends are close-on-exec until placed.
private final class Pipe {
    private(set) var read: Int32
    private(set) var write: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard mg_pipe_cloexec(&fds) == 0 else { throw WorkerRunner.failure("creating a pipe") }
        read = fds[0]
        write = fds[1]
    }

    func closeRead() {
        close(read)
        read = -1
    }

    func closeWrite() {
        close(write)
        write = -1
    }

    deinit {
        if read >= 0 { close(read) }
        if write >= 0 { close(write) }
    }
}
