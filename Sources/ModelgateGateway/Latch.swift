import Foundation

/// A signal given once between threads: opened, or abandoned, and waited for.
final class Latch: @unchecked Sendable {
    private let condition = NSCondition()
    private var opened: Bool?

    /// Opens the latch, unless it was abandoned first.
    func open() { settle(true) }

    /// Abandons the latch, unless it was opened first.
    func abandon() { settle(false) }

    /// Whether the latch was opened, once it is opened or abandoned.
    func wait() -> Bool {
        condition.withLock {
            while opened == nil { condition.wait() }
            return opened!
        }
    }

    private func settle(_ value: Bool) {
        condition.withLock {
            guard opened == nil else { return }
            opened = value
            condition.broadcast()
        }
    }
}
