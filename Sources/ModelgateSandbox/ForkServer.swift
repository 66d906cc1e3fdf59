import CSandboxShim
import ModelgateCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The gateway's handle on a `modelgate-worker --fork-server` process (``WorkerForkServer``):
/// started once, it forks each job's worker from its own image, already loaded and warmed up,
/// instead of the gateway starting the executable afresh for every job.
///
/// Nothing about a job's confinement changes: each job still gets a process of its own, which
/// locks itself down (namespaces, empty root, credentials, limits, seccomp) exactly as a spawned
/// worker does, before it reads a byte of its request. The fork server reads no data and runs no
/// job; its children are the gateway's children (`CLONE_PARENT`), so the gateway reaps them and
/// reads their CPU time as before, except in the namespaces and the empty root, which a root
/// server makes once for its workers (see `Lockdown.enterSharedNamespaces`). A server that dies is
/// started again at the next job; one that cannot be started, or dies before its first fork,
/// leaves the gateway spawning each worker. A server is replaced after ``defaultForksPerServer`` forks.
package final class ForkServer: Sendable {
    private struct Connection {
        var socket: Int32
        var process: pid_t
        /// Workers it forked.
        var forks = 0
    }

    private enum State {
        case stopped
        case running(Connection)
        /// It could not be started, or died before it forked anything: workers are spawned instead.
        case unavailable(String)
    }

    /// How a request went.
    private enum Answer {
        case forked(pid_t)
        /// The server could not fork (an error number).
        case failed(Int32)
        /// The request never reached the server: nothing was forked.
        case notDelivered
        /// The request reached it and no pid came back (it died, or hung past ``replyTimeout``):
        /// a worker may have been forked.
        case lost
    }

    let executable: String
    /// Workers one server forks before it is replaced (see ``defaultForksPerServer``).
    let forksPerServer: Int
    private let state = Mutex<State>(.stopped)

    package init(executable: String, forksPerServer: Int = ForkServer.defaultForksPerServer) {
        self.executable = executable
        self.forksPerServer = max(1, forksPerServer)
    }

    /// Most descriptors one message carries (the kernel's SCM_MAX_FD).
    static let descriptorLimit = 253

    /// Workers one server forks before it is replaced: each worker it forks shares its address
    /// space's layout, stack canary and pointer guard, which a new server draws afresh.
    package static let defaultForksPerServer = 1000

    /// How long a fork may take before the server counts as hung (it takes well under 1 ms).
    static let replyTimeout = timeval(tv_sec: 10, tv_usec: 0)

    /// Forks a worker with `arguments`, its stdin, stdout and stderr, then `descriptors` as its 3,
    /// 4, …; nil when the fork server cannot be used (the caller spawns the worker instead).
    ///
    /// A request is sent again to a new server only when it never reached the old one. One that
    /// reached it and got no answer is not: a worker may have been forked, and two would share
    /// the job's pipes and files. The job fails then; such a worker reads end of file when the
    /// caller closes the pipes and exits, and stays a zombie of this process (its pid never came).
    func launch(arguments: [String], standard: [Int32], descriptors: [Int32]) throws -> pid_t? {
        let handed = standard + descriptors
        guard handed.count <= Self.descriptorLimit else { return nil }
        let message = Array(arguments.joined(separator: "\0").utf8)
        return try state.withLock { state throws -> pid_t? in
            for _ in 0..<2 {
                guard var connection = Self.connection(&state, executable: executable) else { return nil }
                let answer = Self.request(message, handed, on: connection)
                if case .forked(let pid) = answer {
                    connection.forks += 1
                    if connection.forks >= forksPerServer {
                        Self.stop(connection)
                        state = .stopped
                    } else {
                        state = .running(connection)
                    }
                    return pid
                }
                if case .failed(let error) = answer {
                    throw ModelgateError(
                        "worker_unavailable",
                        "the worker fork server could not fork: \(String(cString: strerror(error)))")
                }
                Self.stop(connection)
                // A new server that dies before its first fork will do the same again: spawn.
                state =
                    connection.forks == 0
                    ? .unavailable(
                        "the fork server \(executable) \(WorkerForkServer.flag) stopped before its first fork")
                    : .stopped
                if case .lost = answer {
                    throw ModelgateError(
                        "worker_unavailable", "the worker fork server stopped before it answered; the job was not run")
                }
                if connection.forks == 0 { return nil }
            }
            return nil
        }
    }

    /// The server's process, while one runs.
    package var processID: pid_t? {
        state.withLock { if case .running(let connection) = $0 { connection.process } else { nil } }
    }

    /// Why workers are spawned instead, if they are.
    package var unavailable: String? {
        state.withLock { if case .unavailable(let why) = $0 { why } else { nil } }
    }

    deinit {
        state.withLock { if case .running(let connection) = $0 { Self.stop(connection) } }
    }

    private static func connection(_ state: inout State, executable: String) -> Connection? {
        switch state {
        case .running(let connection): return connection
        case .unavailable: return nil
        case .stopped:
            do {
                let connection = try start(executable)
                state = .running(connection)
                return connection
            } catch {
                state = .unavailable("\(error)")
                return nil
            }
        }
    }

    /// Sends one request and reads the pid back.
    private static func request(_ message: [UInt8], _ handed: [Int32], on connection: Connection) -> Answer {
        let sent = message.withUnsafeBytes { bytes in
            handed.withUnsafeBufferPointer {
                mg_send_with_descriptors(
                    connection.socket, bytes.baseAddress, UInt(bytes.count), $0.baseAddress, Int32($0.count))
            }
        }
        guard sent == message.count else { return .notDelivered }
        guard let reply = receiveNumber(connection.socket) else { return .lost }
        return reply > 0 ? .forked(reply) : .failed(-reply)
    }

    /// The server's one answer (a pid, a negative error number, or 0 for ready); nil when none
    /// came: it died, or hung past ``replyTimeout``.
    private static func receiveNumber(_ socket: Int32) -> Int32? {
        var number: Int32 = 0
        var received: Int
        repeat {
            received = recv(socket, &number, MemoryLayout<Int32>.size, 0)
        } while received < 0 && errno == EINTR
        return received == MemoryLayout<Int32>.size ? number : nil
    }

    /// Starts the server with one end of a socket pair as its descriptor 3, standard input and
    /// output on /dev/null and its errors on this process's.
    private static func start(_ executable: String) throws -> Connection {
        var pair: [Int32] = [-1, -1]
        guard mg_socketpair_seqpacket(&pair) == 0 else { throw WorkerRunner.failure("a socket pair") }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer {
            if pair[1] >= 0 { close(pair[1]) }
            if null >= 0 { close(null) }
        }
        guard null >= 0 else {
            close(pair[0])
            throw WorkerRunner.failure("opening /dev/null")
        }
        var timeout = replyTimeout
        setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let process: pid_t
        do {
            process = try WorkerRunner(executable: executable).spawn(
                [WorkerForkServer.flag], stdin: null, stdout: null, stderr: 2, [pair[1]])
        } catch {
            close(pair[0])
            throw error
        }
        // Its end only: this process holding it too would hide the server's death from the wait.
        close(pair[1])
        pair[1] = -1
        // It says when it is ready (warmed up); one that dies or hangs before is not used.
        let connection = Connection(socket: pair[0], process: process)
        guard receiveNumber(pair[0]) == 0 else {
            stop(connection)
            throw ModelgateError("worker_unavailable", "\(executable) \(WorkerForkServer.flag) did not start")
        }
        return connection
    }

    /// Ends the server (closing its socket would too, but it may be stuck) and reaps it.
    private static func stop(_ connection: Connection) {
        close(connection.socket)
        kill(connection.process, SIGKILL)
        var status: Int32 = 0
        while waitpid(connection.process, &status, 0) < 0 && errno == EINTR {}
    }
}
