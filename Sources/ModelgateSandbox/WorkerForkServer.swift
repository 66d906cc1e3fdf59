import CSandboxShim

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's side of ``ForkServer``: `modelgate-worker --fork-server` warms itself up once,
/// then forks a child for each request the gateway sends on descriptor 3, and each child goes on
/// to be an ordinary worker.
///
/// Why: starting the worker executable afresh costs about as much CPU as a small job itself
/// (loading and relocating the program, starting the Swift runtime, and building on first use the
/// type metadata that decoding a request and encoding a reply need). A child forked from a
/// server that has done all that once starts where it left off.
///
/// What it keeps: the server never reads a request, a column or a result; it only forks, from a
/// single thread (so the child is as consistent as after an `exec`). The child places the
/// descriptors it was sent at 0, 1, 2, 3, …, closes every other one, takes a process group of its
/// own, and returns to `main` with the job's arguments, where it locks itself down (``Lockdown``)
/// before it reads a byte, exactly as a spawned worker does.
package enum WorkerForkServer {
    package static let flag = "--fork-server"

    /// The server's socket, as the gateway hands it over.
    static let socket: Int32 = 3

    /// Serves until the gateway closes its end, then exits. Returns only in a forked child: that
    /// job's arguments, with its descriptors in place.
    package static func serve(warmUp: () -> Void) -> [String] {
        let shared = Lockdown.enterSharedNamespaces()
        warmUp()
        // Its own status, to check before each fork that it still has one thread: a child has
        // only the thread that forked it, so its own lockdown's check could not tell.
        let status = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        // /proc, through which each child opens its own status once no path resolves.
        let proc: Int32? = shared ? open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : nil
        if let proc {
            // Every worker starts on this empty root; the server needs no path from here on.
            do throws(LockdownFailure) {
                guard status >= 0, proc >= 0 else { throw LockdownFailure(step: .emptyRoot, message: "no /proc") }
                try Lockdown.pivotToEmptyRoot()
            } catch {
                WorkerChannel.report("the fork server cannot start its workers on an empty root: \(error.message)")
                exit(LockdownStep.emptyRoot.rawValue)
            }
            // From here on it only forks, and its children need only to become uid 65534.
            guard mg_keep_only_setid_capabilities() == 0 else {
                WorkerChannel.report(
                    "the fork server cannot drop its capabilities: \(String(cString: strerror(errno)))")
                exit(LockdownStep.credentials.rawValue)
            }
            Lockdown.inSharedNamespaces = true
        }
        // Ready: the gateway sends nothing before this, so a server that dies starting up
        // costs no job.
        reply(0)
        var bytes = [UInt8](repeating: 0, count: 64 << 10)
        var descriptors = [Int32](repeating: -1, count: ForkServer.descriptorLimit)
        while true {
            var received: Int32 = 0
            let count = mg_receive_with_descriptors(
                socket, &bytes, UInt(bytes.count), &descriptors, Int32(descriptors.count), &received)
            if count == 0 { exit(0) }  // The gateway is gone.
            if count < 0 {
                if errno == EINTR { continue }
                guard errno == EMSGSIZE else { exit(1) }
                reply(-EMSGSIZE)
                continue
            }
            let handed = Array(descriptors[..<Int(received)])
            guard handed.count >= 3 else {
                for descriptor in handed { close(descriptor) }
                reply(-EINVAL)
                continue
            }
            guard Lockdown.readStatusField("Threads:", descriptor: status) == 1 else {
                for descriptor in handed { close(descriptor) }
                WorkerChannel.report("the fork server has more than one thread; it stops")
                exit(LockdownStep.namespaces.rawValue)
            }
            let pid = mg_fork_sibling()
            if pid == 0 {
                place(handed, statusThrough: proc)
                renameAsJob()
                return String(decoding: bytes[..<count], as: UTF8.self)
                    .split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
            }
            let failure = errno
            for descriptor in handed { close(descriptor) }
            reply(pid > 0 ? pid : -failure)
        }
    }

    /// The pid of the child, or a negative error number; 0 once, when the server is ready.
    private static func reply(_ value: Int32) {
        var value = value
        while send(socket, &value, MemoryLayout<Int32>.size, Int32(MSG_NOSIGNAL)) < 0 && errno == EINTR {}
    }

    /// In the child: its command line says it is a job, not the server (what `ps` and
    /// `pgrep -f` read), by writing over the server's own argument in place.
    private static func renameAsJob() {
        guard CommandLine.argc > 1, let argument = CommandLine.unsafeArgv[1] else { return }
        let length = strlen(argument)
        let name = Array("--job".utf8CString)
        guard length >= name.count - 1 else { return }
        memset(argument, 0, length)
        for (index, character) in name.enumerated() where index < length { argument[index] = character }
    }

    /// In the child: `handed` become 0, 1, 2, …, then its own status file, opened through
    /// `proc` when it is given (``Lockdown/openedStatus``); everything else, the socket too, is
    /// closed.
    private static func place(_ handed: [Int32], statusThrough proc: Int32?) {
        var sources = handed
        if let proc {
            let status = openat(proc, "self/status", O_RDONLY | O_CLOEXEC)
            guard status >= 0 else { exit(LockdownStep.descriptors.rawValue) }
            sources.append(status)
            Lockdown.openedStatus = Int32(handed.count)
        }
        let floor = Int32(sources.count)
        // Above the target range first, so that no dup2 overwrites a source a later one needs.
        let moved = sources.map { fcntl($0, F_DUPFD, floor) }
        guard !moved.contains(where: { $0 < 0 }) else { exit(LockdownStep.descriptors.rawValue) }
        for (target, source) in moved.enumerated() where dup2(source, Int32(target)) < 0 {
            exit(LockdownStep.descriptors.rawValue)
        }
        // The status file stays close-on-exec, as when the worker opens it (dup2 clears that).
        if proc != nil, fcntl(floor - 1, F_SETFD, FD_CLOEXEC) < 0 { exit(LockdownStep.descriptors.rawValue) }
        guard mg_close_from(floor) == 0, setpgid(0, 0) == 0 else { exit(LockdownStep.descriptors.rawValue) }
    }
}
