import Crypto
import Foundation
import ModelgateCore
import ModelgateStore

/// Bearer tokens: `mg_<id>_<secret>`. The id (public) finds the principal; only the SHA-256 of
/// the whole token is stored, and it is compared in constant time.
package enum Tokens {
    /// A new token and what the store keeps of it.
    package static func make() -> (token: String, stored: StoredToken) {
        let id = Hex.string(randomBytes(6))
        let token = "mg_\(id)_\(Hex.string(randomBytes(32)))"
        return (token, StoredToken(id: id, hash: hash(token)))
    }

    /// The id inside a token, if it has the shape of one.
    package static func id(of token: String) -> String? {
        let parts = token.split(separator: "_")
        guard parts.count == 3, parts[0] == "mg", parts[1].count == 12, parts[2].count == 64 else { return nil }
        return String(parts[1])
    }

    /// The principal whose token this is (disabled or not), or nil for a token of the wrong
    /// shape, one not issued, or one whose hash does not match.
    package static func principal(of token: String, in store: any AccessStore) throws -> Principal? {
        guard let id = id(of: token), let (principal, stored) = try store.principal(tokenID: id),
            constantTimeEqual(hash(token), stored.hash)
        else { return nil }
        return principal
    }

    package static func hash(_ token: String) -> String { Hex.string(SHA256.hash(data: Data(token.utf8))) }

    /// Equal strings of equal length, compared without an early exit.
    package static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    package static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
