import Foundation
import ModelgateCore
import ModelgateGateway

/// The console's sign-ins, kept in this process only: a random id (the cookie's value, which
/// is all the browser holds; never the token), the principal, the session's CSRF token that
/// every form must carry back, and its times. A session ends after 30 minutes unused, after 8
/// hours in any case, at sign-out, and when the gateway stops.
actor ConsoleSessions {
    struct Session: Sendable {
        let id: String
        let principal: String
        /// The public id of the token signed in with: a rotated or removed token ends the session.
        let tokenID: String
        let csrf: String
        let started: ContinuousClock.Instant
        var lastSeen: ContinuousClock.Instant
    }

    static let idle = Duration.seconds(30 * 60)
    static let longest = Duration.seconds(8 * 3600)
    /// At most this many sessions of one principal (its least recently used goes first), and
    /// of all together (then a sign-in waits for sessions to expire): one principal signing in
    /// over and over can end only its own sessions.
    static let perPrincipal = 20
    static let capacity = 10_000

    private var sessions: [String: Session] = [:]

    /// A new session, or nil when the console holds as many as it may.
    func open(for principal: String, tokenID: String) -> Session? {
        let now = ContinuousClock.now
        let own = sessions.values.filter { $0.principal == principal }
        if own.count >= Self.perPrincipal, let oldest = own.min(by: { $0.lastSeen < $1.lastSeen }) {
            close(oldest.id)
        }
        if sessions.count >= Self.capacity {
            for session in sessions.values where !live(session, at: now) { close(session.id) }
            guard sessions.count < Self.capacity else { return nil }
        }
        let session = Session(
            id: Self.random(), principal: principal, tokenID: tokenID, csrf: Self.random(), started: now,
            lastSeen: now)
        sessions[session.id] = session
        return session
    }

    private func live(_ session: Session, at now: ContinuousClock.Instant) -> Bool {
        now - session.lastSeen < Self.idle && now - session.started < Self.longest
    }

    /// The live session with this id, marked as used now; nil for none or an expired one.
    func session(_ id: String) -> Session? {
        let now = ContinuousClock.now
        guard var session = sessions[id] else { return nil }
        guard live(session, at: now) else {
            close(id)
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
        Hex.string(Tokens.randomBytes(32))
    }
}
