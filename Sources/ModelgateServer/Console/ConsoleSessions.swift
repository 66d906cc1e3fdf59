import Foundation

/// The console's sign-ins, kept in this process only: a random id (the cookie's value, which
/// is all the browser holds; never the token), the principal, the session's CSRF token that
/// every form must carry back, and its times. A session ends after 30 minutes unused, after 8
/// hours in any case, at sign-out, and when the gateway stops.
actor ConsoleSessions {
    struct Session: Sendable {
        let id: String
        let principal: String
        let csrf: String
        let started: ContinuousClock.Instant
        var lastSeen: ContinuousClock.Instant
    }

    static let idle = Duration.seconds(30 * 60)
    static let longest = Duration.seconds(8 * 3600)
    /// At most this many sessions at once; the least recently used goes first.
    static let capacity = 10_000

    private var sessions: [String: Session] = [:]

    func open(for principal: String) -> Session {
        let now = ContinuousClock.now
        if sessions.count >= Self.capacity, let oldest = sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
            sessions[oldest.id] = nil
        }
        let session = Session(
            id: Self.random(), principal: principal, csrf: Self.random(), started: now, lastSeen: now)
        sessions[session.id] = session
        return session
    }

    /// The live session with this id, marked as used now; nil for none or an expired one.
    func session(_ id: String) -> Session? {
        let now = ContinuousClock.now
        guard var session = sessions[id] else { return nil }
        guard now - session.lastSeen < Self.idle, now - session.started < Self.longest else {
            sessions[id] = nil
            return nil
        }
        session.lastSeen = now
        sessions[id] = session
        return session
    }

    func close(_ id: String) {
        sessions[id] = nil
        flashes[id] = nil
    }

    /// What the last action did, shown once on the next page.
    private var flashes: [String: (text: String, error: Bool)] = [:]

    func flash(_ id: String, _ text: String, error: Bool) {
        guard sessions[id] != nil else { return }
        flashes[id] = (text, error)
    }

    func takeFlash(_ id: String) -> (text: String, error: Bool)? {
        defer { flashes[id] = nil }
        return flashes[id]
    }

    /// 32 bytes from the system's cryptographic generator, as hex.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
