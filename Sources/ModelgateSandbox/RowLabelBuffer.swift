import CSandboxShim
import ModelgateColumnFiles
import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// Room for a job's row labels (one `UInt32` a row, see ``RowLabels``): an anonymous file in
/// memory that the worker maps and writes, and that this process reads once the worker is gone.
/// The worker can write nothing else through it: it is its own file, sized here, never a path.
package final class RowLabelBuffer: @unchecked Sendable {
    package let rowCount: Int
    let descriptor: Int32
    private let base: UnsafeMutableRawPointer?

    package init(rowCount: Int) throws {
        self.rowCount = rowCount
        descriptor = mg_memfd_create("modelgate-row-labels")
        guard descriptor >= 0 else {
            throw ModelgateError("labels_unavailable", "memfd_create: \(String(cString: strerror(errno)))")
        }
        let size = rowCount * MemoryLayout<UInt32>.stride
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            close(descriptor)
            throw ModelgateError(
                "labels_unavailable", "cannot size the row labels: \(String(cString: strerror(errno)))")
        }
        guard size > 0 else {
            base = nil
            return
        }
        let pointer = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0)
        guard let pointer, pointer != MAP_FAILED else {
            close(descriptor)
            throw ModelgateError("labels_unavailable", "cannot map the row labels: \(String(cString: strerror(errno)))")
        }
        base = pointer
    }

    /// The labels as the worker left them (all ``RowLabels/outside`` where it wrote nothing).
    package var labels: UnsafeBufferPointer<UInt32> {
        UnsafeBufferPointer(start: base?.assumingMemoryBound(to: UInt32.self), count: base == nil ? 0 : rowCount)
    }

    var handed: HandedFile { HandedFile(descriptor: descriptor, byteCount: rowCount * MemoryLayout<UInt32>.stride) }

    deinit {
        if let base { munmap(base, rowCount * MemoryLayout<UInt32>.stride) }
        close(descriptor)
    }
}
