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
/// reads their CPU time as before. A fork server that cannot be started or dies is restarted on
/// the next job; one that cannot be started at all leaves the gateway spawning each worker.
package final class ForkServer: Sendable {
    private struct Connection {
        var socket: Int32
        var process: pid_t
    }

    private enum State {
        case stopped
        case running(Connection)
        /// It could not be started: workers are spawned instead.
        case unavailable(String)
    }

    let executable: String
    private let state = Mutex<State>(.stopped)

    package init(executable: String) {
        self.executable = executable
    }

    /// Most descriptors one message carries (the kernel's SCM_MAX_FD).
    static let descriptorLimit = 253

    /// Forks a worker with `arguments`, its stdin, stdout and stderr, then `descriptors` as its 3,
    /// 4, …; nil when the fork server cannot be used (the caller spawns the worker instead).
    func launch(arguments: [String], standard: [Int32], descriptors: [Int32]) throws -> pid_t? {
        let handed = standard + descriptors
        guard handed.count <= Self.descriptorLimit else { return nil }
        let message = Array(arguments.joined(separator: "\0").utf8)
        return try state.withLock { state throws -> pid_t? in
            // A server that died is started again once; the job fails only if that one fails too.
            for _ in 0..<2 {
                guard let connection = try Self.connection(&state, executable: executable) else { return nil }
                if let pid = try Self.request(message, handed, on: connection) { return pid }
                Self.stop(connection)
                state = .stopped
            }
            throw ModelgateError("worker_unavailable", "the worker fork server stopped answering twice in a row")
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

    private static func connection(_ state: inout State, executable: String) throws -> Connection? {
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

    /// Sends one request and reads the pid back; nil when the server is gone.
    private static func request(_ message: [UInt8], _ handed: [Int32], on connection: Connection) throws -> pid_t? {
        let sent = message.withUnsafeBytes { bytes in
            handed.withUnsafeBufferPointer {
                mg_send_with_descriptors(
                    connection.socket, bytes.baseAddress, UInt(bytes.count), $0.baseAddress, Int32($0.count))
            }
        }
        guard sent == message.count else { return nil }
        var reply: Int32 = 0
        var received: Int
        repeat {
            received = recv(connection.socket, &reply, MemoryLayout<Int32>.size, 0)
        } while received < 0 && errno == EINTR
        guard received == MemoryLayout<Int32>.size else { return nil }
        guard reply > 0 else {
            throw ModelgateError(
                "worker_unavailable", "the worker fork server could not fork: \(String(cString: strerror(-reply)))")
        }
        return reply
    }

    /// Starts the server with one end of a socket pair as its descriptor 3, standard input and
    /// output on /dev/null and its errors on this process's.
    private static func start(_ executable: String) throws -> Connection {
        var pair: [Int32] = [-1, -1]
        guard mg_socketpair_seqpacket(&pair) == 0 else { throw WorkerRunner.failure("a socket pair") }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer {
            close(pair[1])
            if null >= 0 { close(null) }
        }
        guard null >= 0 else {
            close(pair[0])
            throw WorkerRunner.failure("opening /dev/null")
        }
        do {
            let process = try WorkerRunner(executable: executable).spawn(
                [WorkerForkServer.flag], stdin: null, stdout: null, stderr: 2, [pair[1]])
            return Connection(socket: pair[0], process: process)
        } catch {
            close(pair[0])
            throw error
        }
    }

    /// Ends the server (closing its socket would too, but it may be stuck) and reaps it.
    private static func stop(_ connection: Connection) {
        close(connection.socket)
        kill(connection.process, SIGKILL)
        var status: Int32 = 0
        while waitpid(connection.process, &status, 0) < 0 && errno == EINTR {}
    }
}
