import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// A read-only memory mapping of a whole file; unmapped when the last reference goes.
package final class MappedFile: @unchecked Sendable {
    package let base: UnsafeRawPointer?
    package let size: Int

    package convenience init(path: String, populate: Bool = true) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ModelgateError("dataset_unreadable", "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        try self.init(descriptor: fd, size: try Self.size(of: fd, path), populate: populate, name: path)
    }

    /// Maps `size` bytes of an open descriptor (which may be closed afterwards). `writable` maps
    /// it shared and writable instead: for the one file a worker writes, its row labels.
    package init(descriptor fd: Int32, size: Int, populate: Bool = true, writable: Bool = false, name: String) throws {
        self.size = size
        guard size > 0 else {
            base = nil
            return
        }
        // Columns are read front to back once per job, so populate the mapping up front: one
        // bulk fault instead of thousands.
        let pointer = mmap(
            nil, size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
            (writable ? MAP_SHARED : MAP_PRIVATE) | (populate ? MAP_POPULATE : 0), fd, 0)
        guard let pointer, pointer != MAP_FAILED else {
            let code: ModelgateError.Code = errno == ENOMEM ? "memory_limit" : "dataset_unreadable"
            throw ModelgateError(code, "cannot map \(name): \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(pointer)
    }

    package static func size(of fd: Int32, _ name: String) throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ModelgateError("dataset_unreadable", "cannot stat \(name): \(String(cString: strerror(errno)))")
        }
        return Int(info.st_size)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }
}
