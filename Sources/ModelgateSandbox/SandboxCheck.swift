import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// `modelgate sandbox check`: runs each ``Probe`` as the task of a real worker, through the same
/// ``Worker/run(_:columns:limits:)`` as a job, and says what stopped it.
package enum SandboxCheck {
    package struct Verdict: Sendable {
        package var probe: Probe
        /// What stopped the probe, or what it got when nothing did.
        package var outcome: String
        /// Whether the layer meant to stop it did (for the control: whether it ran).
        package var passed: Bool
        /// The failure reason the worker ended with, if it failed.
        package var reason: Refusal.Code?
        package var lockdown: LockdownReport?
    }

    /// Small limits, so that the limit probes end fast. The wall clock is well above the CPU
    /// limit so a busy host cannot turn the CPU probe into a timeout; the hang gets less.
    package static func limits(for probe: Probe) -> ResourceLimits {
        var limits = ResourceLimits()
        limits.cpuSeconds = 1
        limits.memoryMegabytes = 64
        limits.outputBytes = 64 << 10
        limits.wallSeconds = probe == .hang ? 1 : 20
        return limits
    }

    package static func run(_ probe: Probe, with worker: Worker) throws -> Verdict {
        let limits = limits(for: probe)
        let outcome = try worker.run(.probe(probe, parentProcess: getpid()), columns: nil, limits: limits)
        switch outcome.ending {
        case .failed(let failure), .reply(.failed(let failure)):
            return Verdict(
                probe: probe, outcome: stoppedBy(failure, limits), passed: failure.code == probe.expected,
                reason: failure.code, lockdown: outcome.lockdown)
        case .reply(.probe(let got)):
            let passed = probe.expected == nil
            return Verdict(
                probe: probe, outcome: passed ? "ran: \(got)" : "NOT STOPPED: \(got)", passed: passed, reason: nil,
                lockdown: outcome.lockdown)
        case .reply(let other):
            return Verdict(
                probe: probe, outcome: "unexpected reply \(other)", passed: false, reason: nil,
                lockdown: outcome.lockdown)
        }
    }

    static func stoppedBy(_ failure: Refusal, _ limits: ResourceLimits) -> String {
        switch failure.code {
        case .sandboxViolation: "seccomp: killed (SIGSYS)"
        case .cpuLimit: "RLIMIT_CPU: killed (SIGXCPU) after \(limits.cpuSeconds) s of CPU"
        case .memoryLimit: "RLIMIT_AS: allocation refused with \(limits.memoryMegabytes) MiB, aborted"
        case .outputTooLarge: "output cap: killed after \(limits.outputBytes >> 10) KiB"
        case .wallTimeout: "wall clock: process group killed after \(limits.wallSeconds) s"
        default: "\(failure.code.rawValue): \(failure.message)"
        }
    }
}
