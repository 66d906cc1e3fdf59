import CSandboxShim
import ModelgateColumnFiles
import ModelgateCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Room for a job's row labels (one `UInt32` a row, see ``RowLabels``): an anonymous file in
/// memory that the worker maps and writes, and that this process reads once the worker is gone.
/// The worker can write nothing else through it: it is its own file, sized here, never a path.
///
/// The files are kept for the next job of the same size once this one is done with its labels,
/// and cleared to zeros (``RowLabels/outside``) when that job takes one: making, sizing and
/// mapping a new one, and the worker's writes to pages the kernel must find and clear, cost a
/// small job more than its rows. A file is only ever reused after its worker has been reaped.
package final class RowLabelBuffer: @unchecked Sendable {
    package let rowCount: Int
    private let file: LabelFile
    /// False while a worker that was handed the file may be alive (set by ``Worker``): a file
    /// whose worker could not be reaped is never reused.
    var reusable = true

    package init(rowCount: Int) throws {
        self.rowCount = rowCount
        if let kept = Self.kept.withLock({ $0.take(rowCount) }) {
            // Cleared when taken, not when given back: a process that runs one job (the command
            // line) then never pays for it.
            if let base = kept.base { memset(base, 0, kept.byteCount) }
            file = kept
        } else {
            file = try LabelFile(byteCount: rowCount * 4)
        }
    }

    /// The labels as the worker left them (all ``RowLabels/outside`` where it wrote nothing).
    package var labels: UnsafeBufferPointer<UInt32> {
        UnsafeBufferPointer(
            start: file.base?.assumingMemoryBound(to: UInt32.self), count: file.base == nil ? 0 : rowCount)
    }

    var descriptor: Int32 { file.descriptor }

    var handed: HandedFile { HandedFile(descriptor: file.descriptor, byteCount: file.byteCount) }

    deinit {
        guard reusable, file.base != nil else { return }
        let file = file
        Self.kept.withLock { $0.keep(file) }
    }

    /// Files cleared and ready, by size: a few of each, and not more than ``KeptFiles/bytesLimit``
    /// in all.
    private static let kept = Mutex(KeptFiles())

    struct KeptFiles {
        static let perSize = 8
        static let bytesLimit = 256 << 20
        var files: [Int: [LabelFile]] = [:]
        var bytes = 0

        mutating func take(_ rowCount: Int) -> LabelFile? {
            guard let file = files[rowCount * 4]?.popLast() else { return nil }
            bytes -= file.byteCount
            return file
        }

        mutating func keep(_ file: LabelFile) {
            guard file.byteCount > 0, files[file.byteCount, default: []].count < Self.perSize,
                bytes + file.byteCount <= Self.bytesLimit
            else { return }
            files[file.byteCount, default: []].append(file)
            bytes += file.byteCount
        }
    }
}

/// One anonymous file, mapped readable and writable here (to clear it for reuse); closed and
/// unmapped when the last reference goes.
final class LabelFile: @unchecked Sendable {
    let descriptor: Int32
    let byteCount: Int
    let base: UnsafeMutableRawPointer?

    init(byteCount: Int) throws {
        self.byteCount = byteCount
        descriptor = mg_memfd_create("modelgate-row-labels")
        guard descriptor >= 0 else {
            throw ModelgateError("labels_unavailable", "memfd_create: \(String(cString: strerror(errno)))")
        }
        guard ftruncate(descriptor, off_t(byteCount)) == 0 else {
            close(descriptor)
            throw ModelgateError(
                "labels_unavailable", "cannot size the row labels: \(String(cString: strerror(errno)))")
        }
        guard byteCount > 0 else {
            base = nil
            return
        }
        let pointer = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let pointer, pointer != MAP_FAILED else {
            close(descriptor)
            throw ModelgateError("labels_unavailable", "cannot map the row labels: \(String(cString: strerror(errno)))")
        }
        base = pointer
    }

    deinit {
        if let base { munmap(base, byteCount) }
        close(descriptor)
    }
}
