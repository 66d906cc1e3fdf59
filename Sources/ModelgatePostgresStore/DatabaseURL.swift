import Foundation
import ModelgateCore
import PostgresNIO

/// A PostgreSQL server named by a URL, as `--database` and `MODELGATE_DATABASE` take it:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`.
package struct DatabaseURL: Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var sslMode: String

    package init(_ text: String) throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
            ["postgres", "postgresql"].contains(scheme)
        else {
            throw Self.invalid(text, "it must start with postgres:// (postgres://USER@HOST:PORT/DATABASE)")
        }
        guard let host = url.host, !host.isEmpty else { throw Self.invalid(text, "it names no host") }
        guard let user = url.user, !user.isEmpty else { throw Self.invalid(text, "it names no user (USER@HOST)") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw Self.invalid(text, "it names no database (…/DATABASE)") }
        let sslMode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw Self.invalid(text, "sslmode must be disable, prefer or require, not '\(sslMode)'")
        }
        self.host = host
        self.port = url.port ?? 5432
        self.user = user
        self.password = url.password
        self.database = database
        self.sslMode = sslMode
    }

    /// The URL without its password, for messages and `/health`.
    package var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    var configuration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    private static func invalid(_ text: String, _ why: String) -> ModelgateError {
        // The text may hold a password: only its scheme and host part are repeated.
        let shown = text.split(separator: "@").last.map(String.init) ?? ""
        return ModelgateError("invalid_database_url", "the database URL (…@\(shown)) is not usable: \(why)")
    }
}
