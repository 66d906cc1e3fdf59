import CSandboxShim
import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// An attack a locked-down worker must not get away with, run by `modelgate sandbox check` as
/// the "model" of an otherwise ordinary job: same worker, same lockdown, same runner.
///
/// A probe that is stopped never returns: the worker dies, and the runner says why. A probe that
/// returns reports what it got, which means the layer meant to stop it did not.
package enum Probe: String, Sendable, Codable, CaseIterable {
    /// Not an attack: a locked-down worker must still be able to do a job's work.
    case control
    case socket
    case connect
    case openFile = "open-file"
    case createFile = "create-file"
    case execve
    case fork
    case thread
    case ptrace
    case signalParent = "signal-parent"
    case tgkillParent = "tgkill-parent"
    case mmapExec = "mmap-exec"
    case mprotectExec = "mprotect-exec"
    case readUngivenDescriptor = "read-ungiven-descriptor"
    case unshare
    case setuid
    case mount
    case cpuSpin = "cpu-spin"
    case memoryBomb = "memory-bomb"
    case outputFlood = "output-flood"
    case hang

    /// What the probe tries.
    package var attempt: String {
        switch self {
        case .control: "read a request, allocate, compute and reply (must succeed)"
        case .socket: "socket(AF_INET, SOCK_STREAM)"
        case .connect: "connect(stdin, 127.0.0.1:9)"
        case .openFile: "open(\"/etc/passwd\", O_RDONLY)"
        case .createFile: "open(\"/tmp/modelgate-probe\", O_CREAT | O_WRONLY)"
        case .execve: "execve(\"/bin/sh\")"
        case .fork: "fork()"
        case .thread: "pthread_create()"
        case .ptrace: "ptrace(PTRACE_SEIZE, parent)"
        case .signalParent: "kill(parent, SIGCONT)"
        case .tgkillParent: "tgkill(parent, parent, SIGCONT)"
        case .mmapExec: "mmap(PROT_READ | PROT_EXEC)"
        case .mprotectExec: "mprotect(a heap page, PROT_READ | PROT_EXEC)"
        case .readUngivenDescriptor: "read(descriptor 10), which was not handed over"
        case .unshare: "unshare(CLONE_NEWUSER)"
        case .setuid: "setuid(0)"
        case .mount: "mount(tmpfs on /)"
        case .cpuSpin: "spin on the CPU for about a minute"
        case .memoryBomb: "allocate and touch 8 MiB blocks, up to 4 GiB"
        case .outputFlood: "write 1 GiB to stdout"
        case .hang: "wait for input that never comes"
        }
    }

    /// The failure reason that must stop the probe; nil for the control, which must succeed.
    package var expected: Refusal.Code? {
        switch self {
        case .control: nil
        case .cpuSpin: .cpuLimit
        case .memoryBomb: .memoryLimit
        case .outputFlood: .outputTooLarge
        case .hang: .wallTimeout
        default: .sandboxViolation
        }
    }

    /// Runs the attempt in the worker. Returns only if it was not stopped.
    package func run(parentProcess parent: Int32) -> String {
        switch self {
        case .control:
            let values = (1...100_000).map(Double.init)
            return "computed \(values.reduce(0, +))"
        case .socket:
            return outcome("socket", Int(Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)))
        case .connect:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(9).bigEndian
            address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            return outcome("connect", Int(result))
        case .openFile:
            return outcome("open", Int(open("/etc/passwd", O_RDONLY)))
        case .createFile:
            return outcome("open(O_CREAT)", Int(open("/tmp/modelgate-probe", O_CREAT | O_WRONLY, 0o600)))
        case .execve:
            let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup("true"), nil]
            return outcome("execve", Int(Glibc.execve("/bin/sh", arguments, [nil])))
        case .fork:
            let child = mg_fork()
            if child == 0 { _exit(0) }
            return outcome("fork", Int(child))
        case .thread:
            let error = mg_start_thread()
            return error == 0
                ? "pthread_create succeeded" : "pthread_create failed: \(String(cString: strerror(error)))"
        case .ptrace:
            return outcome("ptrace", mg_ptrace_seize(parent))
        case .signalParent:
            return outcome("kill", Int(kill(parent, SIGCONT)))
        case .tgkillParent:
            return outcome("tgkill", mg_tgkill(parent, parent, SIGCONT))
        case .mmapExec:
            let page = mmap(nil, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            return outcome("mmap", page == MAP_FAILED ? -1 : 0)
        case .mprotectExec:
            let page = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 4096)
            return outcome("mprotect", Int(mprotect(page, 4096, PROT_READ | PROT_EXEC)))
        case .readUngivenDescriptor:
            var byte: UInt8 = 0
            return outcome("read", read(10, &byte, 1))
        case .unshare:
            return outcome("unshare", Int(mg_unshare(mg_clone_newuser)))
        case .setuid:
            return outcome("setuid", Int(Glibc.setuid(0)))
        case .mount:
            return outcome("mount", Int(mg_mount("none", "/", "tmpfs", 0, nil)))
        case .cpuSpin:
            var state: UInt64 = 1
            for _ in 0..<60_000_000_000 as Range<Int64> { state = state &* 6_364_136_223_846_793_005 &+ 1 }
            return "spun to the end (\(state))"
        case .memoryBomb:
            var blocks: [[UInt8]] = []
            for index in 0..<512 { blocks.append([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 8 << 20)) }
            return "allocated \(blocks.count * 8) MiB"
        case .outputFlood:
            let block = [UInt8](repeating: 0x41, count: 1 << 20)
            var written = 0
            for _ in 0..<1024 { written += max(write(1, block, block.count), 0) }
            return "wrote \(written) bytes"
        case .hang:
            var byte: UInt8 = 0
            return "the wait ended by itself: read returned \(read(0, &byte, 1))"
        }
    }

    private func outcome(_ call: String, _ result: Int) -> String {
        result >= 0 ? "\(call) succeeded (\(result))" : "\(call) failed: \(String(cString: strerror(errno)))"
    }
}
