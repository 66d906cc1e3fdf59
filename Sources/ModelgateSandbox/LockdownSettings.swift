import ModelgateCore

/// How tightly a worker locks itself down. The parent passes these as arguments (never through
/// stdin, which carries untrusted input and is read only after lockdown).
package struct LockdownSettings: Sendable, Equatable {
    /// CPU seconds before SIGXCPU (one more before SIGKILL).
    package var cpuSeconds: Int
    /// Address space the job may add to what the worker has mapped when it locks down: its
    /// columns, its working memory and its output.
    package var memoryBytes: Int
    /// Descriptors handed over after stdin, stdout and stderr: `3 ..< 3 + descriptors`.
    package var descriptors: Int

    package init(cpuSeconds: Int, memoryBytes: Int, descriptors: Int) {
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.descriptors = descriptors
    }

    package init(limits: ResourceLimits, descriptors: Int) {
        self.init(cpuSeconds: limits.cpuSeconds, memoryBytes: limits.memoryMegabytes << 20, descriptors: descriptors)
    }

    /// The uid and gid a worker started as root drops to (`nobody` on Debian).
    package static let unprivilegedID: UInt32 = 65534

    package var arguments: [String] {
        ["--cpu-seconds", "\(cpuSeconds)", "--memory-bytes", "\(memoryBytes)", "--descriptors", "\(descriptors)"]
    }

    /// Reads ``arguments`` back; nil if anything is missing or out of range.
    package init?(arguments: [String]) {
        guard arguments.count == 6, arguments[0] == "--cpu-seconds", arguments[2] == "--memory-bytes",
            arguments[4] == "--descriptors", let cpu = Int(arguments[1]), let memory = Int(arguments[3]),
            let descriptors = Int(arguments[5]), cpu > 0, memory > 0, (0...1000).contains(descriptors)
        else { return nil }
        self.init(cpuSeconds: cpu, memoryBytes: memory, descriptors: descriptors)
    }
}

/// The layers a worker applied, for `modelgate sandbox check` to show.
package struct LockdownReport: Sendable, Codable, Equatable {
    package var namespaces: String
    package var root: String
    package var credentials: String
    package var limits: String
    package var seccomp: String

    package init(namespaces: String, root: String, credentials: String, limits: String, seccomp: String) {
        self.namespaces = namespaces
        self.root = root
        self.credentials = credentials
        self.limits = limits
        self.seccomp = seccomp
    }
}
