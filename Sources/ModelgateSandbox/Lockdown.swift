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
        // Descriptors: only stdin, stdout, stderr and the handed ones stay open.
        let firstFree = 3 + Int32(settings.descriptors)
        try check(mg_close_from(firstFree), .descriptors, "close_range")
        // The worker's own status, kept open to read its peak memory when the job is done (it
        // cannot open anything then). It takes the first free number.
        let status = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard status == firstFree else {
            throw LockdownFailure(step: .descriptors, message: "cannot open /proc/self/status at \(firstFree)")
        }
        // Measured before the root goes away; the memory limit is on top of this.
        let baseline = try addressSpaceBytes()

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
            try pivotToEmptyRoot()
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
        var sharedNetwork = false
        var unavailable: String?

        var description: String {
            if let unavailable { return "none: \(unavailable); seccomp alone keeps the network and files out" }
            if sharedNetwork { return "mount, IPC, UTS; network: \(Lockdown.sharedNetworkNamespace)" }
            return "mount, network, IPC, UTS" + (viaUserNamespace ? " (in a user namespace)" : "")
        }
    }

    /// Set in a fork server running as root once it has entered a network namespace of its own
    /// (``enterSharedNetworkNamespace()``): the workers it forks are in it already, and make only
    /// their mount, IPC and UTS namespaces.
    nonisolated(unsafe) static var inSharedNetworkNamespace = false

    static let sharedNetworkNamespace = "an empty one, made once by the fork server for the workers it forks"

    /// For a fork server running as root: a network namespace of its own, with no interface but
    /// a loopback that is down and that no worker can bring up (they have no capabilities).
    ///
    /// Why one for all its workers, not one per job: making a network namespace is the dearest
    /// step of a lockdown (the kernel registers a device and its sysctls, then tears them down
    /// again after the job), about a fifth of a small job's CPU. What a namespace per job would add
    /// is only that two workers could not reach each other over a socket, and no worker can open
    /// one (seccomp); workers already share a user id and see each other's processes, so the
    /// namespace was never what kept them apart. Nothing reaches out of it either way.
    package static func enterSharedNetworkNamespace() {
        guard geteuid() == 0, mg_unshare(mg_clone_newnet) == 0 else { return }
        inSharedNetworkNamespace = true
    }

    /// As root: new mount, network, IPC and UTS namespaces (the network one made already, in a
    /// fork server's worker). Otherwise a user namespace first, where the host allows one; a host
    /// that refuses it leaves seccomp as the barrier.
    static func enterNamespaces() throws(LockdownFailure) -> Namespaces {
        let flags = mg_clone_newns | mg_clone_newnet | mg_clone_newipc | mg_clone_newuts
        if geteuid() == 0 && inSharedNetworkNamespace {
            try check(
                mg_unshare(mg_clone_newns | mg_clone_newipc | mg_clone_newuts), .namespaces, "unshare(mount, IPC, UTS)")
            return Namespaces(hasMountNamespace: true, viaUserNamespace: false, sharedNetwork: true)
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

    /// The process's mapped address space now (the first field of /proc/self/statm, in pages),
    /// read byte by byte like the status fields.
    static func addressSpaceBytes() throws(LockdownFailure) -> Int {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        try check(fd, .resourceLimits, "open /proc/self/statm")
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(fd, &buffer, buffer.count)
        guard let pages = leadingNumber(buffer[..<max(count, 0)]) else {
            throw LockdownFailure(step: .resourceLimits, message: "cannot read /proc/self/statm")
        }
        return pages * sysconf(Int32(_SC_PAGESIZE))
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
