import Foundation

/// A process as jobs record it: host, boot, process id and the process's start time (in clock
/// ticks since boot), and its PID namespace, so that neither a recycled process id, nor a
/// reboot, nor a container with the host's name is mistaken for the process that admitted a job.
struct RunnerIdentity: Sendable, Equatable, CustomStringConvertible {
    var host: String
    var boot: String
    var processID: Int32
    var startTicks: UInt64
    /// The PID namespace's inode; nil for runners recorded before it was.
    var pidNamespace: UInt64?

    static let current = RunnerIdentity(
        host: hostName(), boot: bootID(), processID: getpid(), startTicks: startTicks(of: getpid()) ?? 0,
        pidNamespace: pidNamespace())

    /// `host/boot/pid/start/pid-namespace` (the last absent for runners recorded before it was).
    var description: String {
        "\(host)/\(boot)/\(processID)/\(startTicks)" + (pidNamespace.map { "/\($0)" } ?? "")
    }

    init(host: String, boot: String, processID: Int32, startTicks: UInt64, pidNamespace: UInt64? = nil) {
        self.host = host
        self.boot = boot
        self.processID = processID
        self.startTicks = startTicks
        self.pidNamespace = pidNamespace
    }

    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4 || parts.count == 5, let pid = Int32(parts[2]), let start = UInt64(parts[3]) else {
            return nil
        }
        self.init(
            host: String(parts[0]), boot: String(parts[1]), processID: pid, startTicks: start,
            pidNamespace: parts.count == 5 ? UInt64(parts[4]) : nil)
    }

    /// Whether this process still runs, as far as this host can tell; nil when it ran on
    /// another host, or in another PID namespace of this one (a container), which this process
    /// cannot see.
    var isAlive: Bool? {
        let here = RunnerIdentity.current
        guard host == here.host else { return nil }
        // Same host, another boot: everything that ran before the reboot is gone.
        guard boot == here.boot else { return false }
        guard pidNamespace == here.pidNamespace else { return nil }
        if let ticks = Self.startTicks(of: processID) { return ticks == startTicks }
        // Its /proc entry is unreadable (hidden from this user) or gone: ask the kernel.
        return kill(processID, 0) == 0 || errno == EPERM
    }

    /// The kernel's host name (no DNS lookup, unlike `ProcessInfo.hostName`).
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.replacingOccurrences(of: "/", with: "_")
    }

    /// This process's PID namespace: the inode `/proc/self/ns/pid` names (`pid:[4026531836]`).
    static func pidNamespace() -> UInt64? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid") else {
            return nil
        }
        return UInt64(target.filter(\.isNumber))
    }

    /// This boot's random id; empty where the kernel does not say.
    static func bootID() -> String {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Field 22 of `/proc/PID/stat`: when the process started. The command name (field 2) may
    /// hold spaces and parentheses, so fields are counted after its closing parenthesis.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, so start time (22) is the 20th.
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
