import CColumnarShim
import Crypto
import Foundation
import ModelgateCore

/// A file written front to back, hashed as it goes, and read back in blocks when it is rewritten.
final class FileSink {
    private(set) var url: URL
    private var fd: Int32 = -1
    private var hasher = SHA256()
    private var size = 0

    init(url: URL) { self.url = url }

    func open() throws {
        fd = Glibc.open(url.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create") }
    }

    func append<T>(_ values: [T]) throws {
        try values.withUnsafeBytes { bytes in
            hasher.update(bufferPointer: bytes)
            var done = 0
            while done < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw failure("write") }
                done += written
            }
            // Start writing these bytes to disk now, without waiting: the fsync at the end then
            // finds most of the file already written instead of all of it.
            _ = mg_start_writeback(fd, Int64(size), Int64(bytes.count))
            size += bytes.count
        }
    }

    /// Appends integers in `width` bytes each, little-endian; the width was chosen to hold them.
    func append<T: FixedWidthInteger>(_ values: [T], width: Int) throws {
        switch width {
        case 1: try append(values.map { Int8(truncatingIfNeeded: $0) })
        case 2: try append(values.map { Int16(truncatingIfNeeded: $0) })
        case 4: try append(values.map { Int32(truncatingIfNeeded: $0) })
        default: try append(values.map { Int64(truncatingIfNeeded: $0) })
        }
    }

    /// `count` bytes from `offset`, which were written before.
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { buffer in
            var done = 0
            while done < count {
                let read = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if read < 0 && errno == EINTR { continue }
                guard read > 0 else { throw failure("read") }
                done += read
            }
        }
        return bytes
    }

    /// Makes what was written durable: ingest reports success only once every file is on disk.
    func sync() throws {
        guard fsync(fd) == 0 else { throw failure("sync") }
    }

    /// Renames the file over `target`, which it then is.
    func rename(to target: URL) throws {
        guard Glibc.rename(url.path, target.path) == 0 else {
            throw ModelgateError(
                "ingest_failed", "cannot rename \(url.path) to \(target.path): \(String(cString: strerror(errno)))")
        }
        url = target
    }

    func digest() -> String { Hex.string(hasher.finalize()) }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func failure(_ action: String) -> ModelgateError {
        ModelgateError("ingest_failed", "cannot \(action) \(url.path): \(String(cString: strerror(errno)))")
    }
}
