import ModelgateColumnFiles
import ModelgateCore

/// What the gateway sends a worker on its stdin, after the worker has locked itself down:
/// eight bytes of little-endian length, then this in the ``WireCodec`` encoding.
package struct WorkerRequest: Sendable, Codable {
    package var rowCount: Int
    /// The columns the task may read, at the descriptors the worker was handed.
    package var columns: [HandedColumn]
    package var task: WorkerTask
    /// Where the worker writes each row's label for the release ledger, if anywhere.
    package var labels: HandedFile?

    package init(rowCount: Int, columns: [HandedColumn], task: WorkerTask, labels: HandedFile? = nil) {
        self.rowCount = rowCount
        self.columns = columns
        self.task = task
        self.labels = labels
    }

    /// Largest request a worker reads; a plan is a few kilobytes.
    package static let maximumBytes = 16 << 20

    package func framed() throws -> [UInt8] {
        let body = try WireCodec.encode(self)
        return withUnsafeBytes(of: UInt64(body.count).littleEndian) { Array($0) } + body
    }
}

/// What a worker computes: an admitted plan, or a sandbox probe (the same path, with an attack
/// in place of the estimator).
package enum WorkerTask: Sendable, Codable {
    case plan(Plan)
    case probe(Probe, parentProcess: Int32)
}

/// What a worker writes to its stdout (``WireCodec``), before it exits 0.
package struct WorkerResponse: Sendable, Codable {
    /// The lockdown layers the worker applied before it read its request.
    package var lockdown: LockdownReport
    package var reply: WorkerReply
    /// The worker's peak resident memory, measured by itself just before it replied.
    package var peakMemoryBytes: Int?

    package init(lockdown: LockdownReport, reply: WorkerReply, peakMemoryBytes: Int?) {
        self.lockdown = lockdown
        self.reply = reply
        self.peakMemoryBytes = peakMemoryBytes
    }
}

package enum WorkerReply: Sendable, Codable {
    /// The estimator's raw result: for the output checker only.
    case result(RawResult)
    /// A data-dependent limit of the estimator (too many cells, say).
    case refused(Refusal)
    /// A probe's attempt came back instead of the worker being stopped: what it got.
    case probe(String)
    /// The worker could not do the job, e.g. mapping its columns exceeded the memory limit.
    case failed(Refusal)
}

/// Exit statuses of a worker that stopped on its own without a response. A lockdown step that
/// fails exits with its own status so that nothing is computed outside the sandbox.
package enum WorkerExitStatus {
    package static let badRequest: Int32 = 90
}

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's ends of the protocol: plain `read` on stdin and `write` on stdout and stderr,
/// the only calls its seccomp allowlist permits for them.
package enum WorkerChannel {
    /// Reads one framed request from stdin.
    package static func readRequest() throws -> WorkerRequest {
        let header = try readExactly(8)
        let length = header.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= WorkerRequest.maximumBytes else {
            throw ModelgateError("bad_request", "a request of \(length) bytes is larger than allowed")
        }
        return try WireCodec.decode(WorkerRequest.self, from: try readExactly(Int(length)))
    }

    package static func writeResponse(_ response: WorkerResponse) throws {
        writeAll(try WireCodec.encode(response), to: 1)
    }

    /// The byte a worker writes to stderr the moment its lockdown is complete, before it reads
    /// its request: from then on, its exit status no longer speaks for a lockdown step.
    package static let lockedDownMarker: UInt8 = 0x06

    package static func announceLockedDown() {
        writeAll([lockedDownMarker], to: 2)
    }

    /// The byte a worker may write to stderr, right after ``lockedDownMarker``, once it has
    /// written every row's label and before it computes the rest of its result: the gateway may
    /// then start its release ledger's work on the labels (a copy of them; see ``Worker/run``).
    package static let labelledMarker: UInt8 = 0x07

    /// How the stderr of a worker that announced its labels begins.
    static let labelledPrefix = [lockedDownMarker, labelledMarker]

    package static func announceLabelled() {
        writeAll([labelledMarker], to: 2)
    }

    /// A diagnostic line on stderr, for the parent's log.
    package static func report(_ message: String) {
        writeAll(Array((message + "\n").utf8), to: 2)
    }

    private static func readExactly(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes[filled...].withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw ModelgateError("bad_request", "the request ended after \(filled) bytes") }
            filled += got
        }
        return bytes
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        var done = 0
        while done < bytes.count {
            let wrote = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else { return }
            done += wrote
        }
    }
}
