#if canImport(Glibc)
    import Glibc
#endif

/// Random bits from the operating system's CSPRNG (`getentropy(3)`, glibc's wrapper of
/// `getrandom(2)`, 256 bytes a call), read 4 KiB at a time so that a noise draw does not cost a
/// system call. The only source the gateway's noise is drawn from;
/// a seeded generator reaches a sampler only in tests, which call the samplers directly.
package struct SystemRandomBits: RandomNumberGenerator {
    private var words = [UInt64](repeating: 0, count: 512)
    private var used = 512

    package init() {}

    package mutating func next() -> UInt64 {
        if used == words.count { refill() }
        defer { used += 1 }
        return words[used]
    }

    private mutating func refill() {
        words.withUnsafeMutableBytes { buffer in
            for start in stride(from: 0, to: buffer.count, by: 256) {
                // No entropy source: nothing noisy may be released, so stop here rather than
                // release figures with predictable noise.
                guard getentropy(buffer.baseAddress! + start, min(256, buffer.count - start)) == 0 else {
                    fatalError("getentropy failed (errno \(errno)): no secure random bits for noise")
                }
            }
        }
        used = 0
    }
}
