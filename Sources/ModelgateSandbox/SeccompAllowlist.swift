import CSeccomp

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's system-call allowlist (libseccomp). Anything not listed kills the whole process
/// (SIGSYS), and so does any call from another architecture's ABI (x32, i386).
///
/// The list is what a locked-down worker does, and nothing more: read its request, map its
/// columns, allocate, write its response, exit. Every entry says why it is here.
enum SeccompAllowlist {
    /// Loads the filter into the calling thread (the only thread). Returns how many rules it has.
    static func load(processID: pid_t, statusDescriptor: Int32) throws(LockdownFailure) -> Int {
        guard let context = seccomp_init(SCMP_ACT_KILL_PROCESS) else {
            throw LockdownFailure(step: .seccomp, message: "seccomp_init failed")
        }
        defer { seccomp_release(context) }
        try check(seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "bad-architecture action")
        // Every thread, should there ever be another (lockdown checks there is not).
        try check(seccomp_attr_set(context, SCMP_FLTATR_CTL_TSYNC, 1), "thread synchronisation")

        let noExec = scmp_arg_cmp(arg: 2, op: SCMP_CMP_MASKED_EQ, datum_a: UInt64(PROT_EXEC), datum_b: 0)
        func argument(_ index: UInt32, is value: UInt64) -> scmp_arg_cmp {
            scmp_arg_cmp(arg: index, op: SCMP_CMP_EQ, datum_a: value, datum_b: 0)
        }
        let rules: [(String, [scmp_arg_cmp])] = [
            // The request arrives on stdin; column files are handed for mapping, not reading.
            ("read", [argument(0, is: 0)]),
            // The worker's own /proc/self/status, opened before lockdown, for its peak memory.
            ("pread64", [argument(0, is: UInt64(statusDescriptor))]),
            // The response goes to stdout; the runtime's fatal-error message to stderr.
            ("write", [argument(0, is: 1)]),
            ("write", [argument(0, is: 2)]),
            // Mapping the handed column files and malloc's large blocks, never executable.
            ("mmap", [noExec]),
            ("mprotect", [noExec]),
            // Freeing and growing memory: malloc's heap (brk) and its large blocks, which
            // realloc grows in place or moves (flags 0 or MREMAP_MAYMOVE, nothing else).
            ("munmap", []),
            ("mremap", [argument(3, is: 0)]),
            ("mremap", [argument(3, is: 1)]),  // MREMAP_MAYMOVE
            ("brk", []),
            // malloc returning the pages of freed memory to the system, and no other advice.
            ("madvise", [argument(2, is: UInt64(MADV_DONTNEED))]),
            ("madvise", [argument(2, is: UInt64(MADV_FREE))]),
            // Exiting.
            ("exit_group", []),
            // A runtime fatal error (an allocation refused by the memory limit, a failed
            // precondition) prints its message and stack trace, which wakes a private futex once,
            // then abort()s: so the worker dies of SIGABRT by its own hand and the parent can say
            // why. abort() unblocks SIGABRT, asks its pid and thread id and sends SIGABRT to
            // itself, to no one else.
            ("futex", [argument(1, is: UInt64(128 | 1))]),  // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
            ("rt_sigprocmask", []),
            ("getpid", []),
            ("gettid", []),
            ("tgkill", [argument(0, is: UInt64(processID)), argument(2, is: UInt64(SIGABRT))]),
        ]
        for (name, conditions) in rules {
            let number = seccomp_syscall_resolve_name(name)
            guard number != __NR_SCMP_ERROR else {
                throw LockdownFailure(step: .seccomp, message: "unknown system call \(name)")
            }
            try check(
                seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, UInt32(conditions.count), conditions),
                "rule for \(name)")
        }
        try check(seccomp_load(context), "seccomp_load")
        return rules.count
    }

    private static func check(_ result: Int32, _ what: String) throws(LockdownFailure) {
        if result != 0 {
            throw LockdownFailure(step: .seccomp, message: "\(what): \(String(cString: strerror(-result)))")
        }
    }
}
