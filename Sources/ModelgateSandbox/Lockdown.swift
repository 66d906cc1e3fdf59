import CSandboxShim

#if canImport(Glibc)
    import Glibc
#endif

/// A lockdown step that failed. The worker exits with the step's status and computes nothing.
package struct LockdownFailure: Error, Sendable {
    package var step: LockdownStep
    package var message: String
}

/// The steps of the lockdown, in the order they run. Each has the exit status a worker uses when
/// the step fails, so the parent can say which layer the host refused.
package enum LockdownStep: Int32, Sendable, CaseIterable {
    case arguments = 100
    case descriptors
    case namespaces
    case emptyRoot
    case credentials
    case resourceLimits
    case privileges
    case seccomp

    package var title: String {
        switch self {
        case .arguments: "reading the lockdown arguments"
        case .descriptors: "closing descriptors that were not handed over"
        case .namespaces: "unsharing namespaces"
        case .emptyRoot: "pivoting to an empty root"
        case .credentials: "dropping to an unprivileged user"
        case .resourceLimits: "setting resource limits"
        case .privileges: "setting no_new_privs and not dumpable"
        case .seccomp: "loading the seccomp allowlist"
        }
    }
}

/// The worker's self-lockdown, run first thing in `modelgate-worker`, before it reads a byte of
/// its request. It must run while the process is single-threaded (no Dispatch, no `async`):
/// `unshare(CLONE_NEWUSER)` refuses a threaded process, and seccomp filters only this thread.
package enum Lockdown {
    package static func apply(_ settings: LockdownSettings) throws(LockdownFailure) -> LockedDown {
        // Descriptors: only stdin, stdout, stderr and the handed ones stay open, and the worker's
        // own status, kept open to read its peak memory when the job is done (it cannot open
        // anything then), at the first free number. A fork server's child in the server's empty
        // root was given it (``openedStatus``); any other worker opens it here.
        let firstFree = 3 + Int32(settings.descriptors)
        if let opened = openedStatus, opened != firstFree {
            throw LockdownFailure(step: .descriptors, message: "its status is at \(opened), not at \(firstFree)")
        }
        try check(mg_close_from(openedStatus == nil ? firstFree : firstFree + 1), .descriptors, "close_range")
        let status = openedStatus ?? open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard status == firstFree else {
            throw LockdownFailure(step: .descriptors, message: "cannot open /proc/self/status at \(firstFree)")
        }
        // The address space mapped now; the memory limit is on top of this.
        guard let mappedKiB = readStatusField("VmSize:", descriptor: status) else {
            throw LockdownFailure(step: .resourceLimits, message: "no VmSize in /proc/self/status")
        }
        let baseline = mappedKiB << 10

        // A second thread would escape both unshare (it refuses, and a refused user namespace
        // would look like a host without them) and the seccomp filter.
        let threads = try statusField("Threads:", descriptor: status)
        guard threads == 1 else {
            throw LockdownFailure(
                step: .namespaces, message: "the worker has \(threads) threads before lockdown; it must have 1")
        }
        let namespaces = try enterNamespaces()
        var root = "host root (no mount namespace)"
        if namespaces.hasMountNamespace {
            // A fork server's shared namespaces are on its empty root already.
            if !namespaces.shared { try pivotToEmptyRoot() }
            root = "empty read-only tmpfs"
        }
        let credentials = try dropCredentials(namespaces)

        let addressSpace = baseline + settings.memoryBytes
        try limit(RLIMIT_CPU, soft: settings.cpuSeconds, hard: settings.cpuSeconds + 1)
        try limit(RLIMIT_AS, addressSpace)
        try limit(RLIMIT_FSIZE, 0)
        try limit(RLIMIT_NOFILE, Int(status) + 1)
        try limit(RLIMIT_CORE, 0)
        try limit(__RLIMIT_NPROC, 0)

        try check(mg_set_no_new_privs(), .privileges, "prctl(PR_SET_NO_NEW_PRIVS)")
        try check(mg_set_not_dumpable(), .privileges, "prctl(PR_SET_DUMPABLE, 0)")
        try check(mg_clear_read_implies_exec(), .privileges, "clearing the READ_IMPLIES_EXEC personality")

        let rules = try SeccompAllowlist.load(processID: getpid(), statusDescriptor: status)
        let report = LockdownReport(
            namespaces: namespaces.description, root: root, credentials: credentials,
            limits: "cpu \(settings.cpuSeconds) s, address space \(addressSpace >> 20) MiB "
                + "(\(settings.memoryBytes >> 20) MiB for the job), no files written, "
                + "\(status + 1) descriptors, no core, no processes",
            seccomp: "allowlist of \(rules) rules, anything else kills the process")
        return LockedDown(report: report, statusDescriptor: status)
    }

    struct Namespaces: CustomStringConvertible {
        var hasMountNamespace: Bool
        var viaUserNamespace: Bool
        /// The fork server's, made once for all the workers it forks (``enterSharedNamespaces()``).
        var shared = false
        var unavailable: String?

        var description: String {
            if let unavailable { return "none: \(unavailable); seccomp alone keeps the network and files out" }
            if shared { return "mount, network, IPC, UTS: \(Lockdown.sharedNamespaces)" }
            return "mount, network, IPC, UTS" + (viaUserNamespace ? " (in a user namespace)" : "")
        }
    }

    /// Set in a fork server running as root once it is in namespaces of its own and on an empty
    /// root (``enterSharedNamespaces()`` and ``pivotToEmptyRoot()``): the workers it forks are in
    /// them already, and make none.
    nonisolated(unsafe) static var inSharedNamespaces = false

    /// In a child of such a server: its own status file, which it can no longer open by path,
    /// opened through the server's handle on /proc and placed after the handed descriptors.
    nonisolated(unsafe) static var openedStatus: Int32?

    package static let sharedNamespaces = "empty ones, made once by the fork server for the workers it forks"

    /// For a fork server running as root: new mount, network, IPC and UTS namespaces of its own,
    /// which its workers are forked into. The network one has no interface but a loopback that is
    /// down and that no worker can bring up (they have no capabilities); the server then pivots
    /// to an empty read-only root (``pivotToEmptyRoot()``), so every worker starts there. Returns
    /// false, and changes nothing, where the host refuses (the workers then make their own).
    ///
    /// Why one set for all its workers, not one per job: making and tearing down namespaces and
    /// the root's mounts was the dearest part of a forked worker's lockdown, a fifth of a small
    /// job's CPU for the network alone and a tenth for the rest. What a set per job would add is
    /// only that two workers of one server could not reach each other through them, and no
    /// worker can use one to do so: seccomp lets a worker open no file, socket or IPC object,
    /// mount nothing and name no host; workers already share a user id and see each other's
    /// processes, so the namespaces were never what kept them apart. What keeps the host out is
    /// unchanged: no network, no path that resolves, no host IPC. Chromium's zygote does the same
    /// for its renderers.
    ///
    /// The IPC namespace outlives each job (it is the server's, for up to
    /// ``ForkServer/defaultForksPerServer`` jobs of any researcher), so it is also made unable to
    /// hold anything: no shared memory segment, message queue, semaphore set or POSIX queue can
    /// be made in it, and a worker that got past seccomp could leave nothing there for a later
    /// one. Where those limits cannot be set, this returns false and the workers make their own
    /// namespaces, as when the host refuses.
    package static func enterSharedNamespaces() -> Bool {
        guard geteuid() == 0,
            mg_unshare(mg_clone_newns | mg_clone_newnet | mg_clone_newipc | mg_clone_newuts) == 0
        else { return false }
        do throws(LockdownFailure) {
            for (limit, none) in emptyIPCLimits { try writeProcFile(limit, none) }
        } catch {
            return false
        }
        return true
    }

    /// The IPC namespace's limits that leave no room for any object (`/proc/sys` shows the
    /// calling process's IPC namespace).
    package static let emptyIPCLimits = [
        ("/proc/sys/kernel/shmmni", "0"), ("/proc/sys/kernel/msgmni", "0"), ("/proc/sys/kernel/sem", "0 0 0 0"),
        ("/proc/sys/fs/mqueue/queues_max", "0"),
    ]

    /// As root: new mount, network, IPC and UTS namespaces (made already, in a root fork
    /// server's worker). Otherwise a user namespace first, where the host allows one; a host
    /// that refuses it leaves seccomp as the barrier.
    static func enterNamespaces() throws(LockdownFailure) -> Namespaces {
        let flags = mg_clone_newns | mg_clone_newnet | mg_clone_newipc | mg_clone_newuts
        if geteuid() == 0 && inSharedNamespaces {
            return Namespaces(hasMountNamespace: true, viaUserNamespace: false, shared: true)
        }
        if geteuid() == 0 {
            try check(mg_unshare(flags), .namespaces, "unshare(mount, network, IPC, UTS)")
            return Namespaces(hasMountNamespace: true, viaUserNamespace: false)
        }
        let uid = getuid()
        let gid = getgid()
        if mg_unshare(mg_clone_newuser | flags) != 0 {
            let error = errno
            if [EPERM, EINVAL, ENOSPC, ENOSYS].contains(error) {
                return Namespaces(
                    hasMountNamespace: false, viaUserNamespace: false,
                    unavailable: "the host refuses user namespaces (\(String(cString: strerror(error))))")
            }
            throw LockdownFailure(step: .namespaces, message: "unshare(user, …): \(String(cString: strerror(error)))")
        }
        try writeProcFile("/proc/self/setgroups", "deny")
        try writeProcFile("/proc/self/uid_map", "\(uid) \(uid) 1")
        try writeProcFile("/proc/self/gid_map", "\(gid) \(gid) 1")
        return Namespaces(hasMountNamespace: true, viaUserNamespace: true)
    }

    /// Mounts an empty read-only tmpfs on /tmp (in the private mount namespace only), makes it
    /// the root and detaches the old one, so that no path resolves to anything.
    static func pivotToEmptyRoot() throws(LockdownFailure) {
        try check(mg_make_mounts_private(), .emptyRoot, "making mounts private")
        try check(mg_mount_empty_readonly_tmpfs("/tmp"), .emptyRoot, "mounting an empty tmpfs on /tmp")
        try check(chdir("/tmp"), .emptyRoot, "chdir to the new root")
        try check(mg_pivot_root(".", "."), .emptyRoot, "pivot_root")
        try check(mg_umount_detach("."), .emptyRoot, "detaching the old root")
        try check(chdir("/"), .emptyRoot, "chdir /")
    }

    static func dropCredentials(_ namespaces: Namespaces) throws(LockdownFailure) -> String {
        if geteuid() == 0 && !namespaces.viaUserNamespace {
            let id = LockdownSettings.unprivilegedID
            try check(mg_setgroups_none(), .credentials, "setgroups")
            try check(mg_setresgid(id), .credentials, "setresgid")
            try check(mg_setresuid(id), .credentials, "setresuid")
        }
        // Also clears what a user namespace granted.
        try check(mg_drop_capabilities(), .credentials, "capset")
        guard geteuid() != 0 else {
            throw LockdownFailure(step: .credentials, message: "still root after dropping credentials")
        }
        return "uid \(geteuid()) gid \(getegid()), no supplementary groups, no capabilities"
    }

    static func limit(_ resource: __rlimit_resource, _ value: Int) throws(LockdownFailure) {
        try limit(resource, soft: value, hard: value)
    }

    static func limit(_ resource: __rlimit_resource, soft: Int, hard: Int) throws(LockdownFailure) {
        var value = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
        try check(setrlimit(__rlimit_resource_t(resource.rawValue), &value), .resourceLimits, "setrlimit \(resource)")
    }

    /// A number field of the worker's own /proc/self/status, e.g. `Threads:`.
    static func statusField(_ name: String, descriptor: Int32) throws(LockdownFailure) -> Int {
        guard let value = readStatusField(name, descriptor: descriptor) else {
            throw LockdownFailure(step: .descriptors, message: "no \(name) in /proc/self/status")
        }
        return value
    }

    /// The first number after the line that starts with `name` in the status file open at
    /// `descriptor`; nil if it cannot be read. Scans bytes: every forked worker runs this, and
    /// splitting the text into strings cost more than the rest of its lockdown's checks.
    package static func readStatusField(_ name: String, descriptor: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let key = Array(name.utf8)
        var lineStart = 0
        while lineStart + key.count <= count {
            var lineEnd = lineStart
            while lineEnd < count && buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            if buffer[lineStart..<lineStart + key.count].elementsEqual(key) {
                var index = lineStart + key.count
                while index < lineEnd && (buffer[index] == UInt8(ascii: " ") || buffer[index] == UInt8(ascii: "\t")) {
                    index += 1
                }
                return leadingNumber(buffer[index..<lineEnd])
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// The decimal number `bytes` start with; nil when they start with no digit.
    static func leadingNumber(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var digits = 0
        for byte in bytes {
            guard let digit = Int(exactly: byte &- UInt8(ascii: "0")), digit < 10 else { break }
            value = value * 10 + digit
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    static func writeProcFile(_ path: String, _ text: String) throws(LockdownFailure) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        try check(fd, .namespaces, "open \(path)")
        defer { close(fd) }
        let bytes = Array(text.utf8)
        try check(write(fd, bytes, bytes.count) == bytes.count ? 0 : -1, .namespaces, "write \(path)")
    }

    /// `what` is only built on failure: describing a C enum costs a reflection lookup.
    static func check(_ result: Int32, _ step: LockdownStep, _ what: @autoclosure () -> String) throws(LockdownFailure)
    {
        if result < 0 {
            throw LockdownFailure(step: step, message: "\(what()): \(String(cString: strerror(errno)))")
        }
    }
}

/// A worker after lockdown: what it applied, and its own status file for its peak memory.
package struct LockedDown: Sendable {
    package let report: LockdownReport
    let statusDescriptor: Int32

    /// The worker's peak resident memory so far (VmHWM), from its own status; nil if unreadable.
    ///
    /// Not `getrusage`: a child started by `posix_spawn` shares the parent's memory until it
    /// execs, and the kernel counts the parent's resident set into the child's `ru_maxrss`.
    package func peakResidentBytes() -> Int? {
        Lockdown.readStatusField("VmHWM:", descriptor: statusDescriptor).map { $0 * 1024 }
    }
}
