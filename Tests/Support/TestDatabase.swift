import Foundation

/// PostgreSQL databases for tests: each call makes a new, empty one on a private server.
///
/// The server is the one `MODELGATE_TEST_DATABASE` names (scripts/test starts one with
/// scripts/postgres and sets it); without it, the first call starts one with that script in a
/// temporary folder and stops it when the test process exits. Without PostgreSQL installed,
/// tests that need it fail and say how to install it: they are part of the suite, not optional.
package enum TestDatabase {
    /// The URL of a new database (`postgres://…`).
    package static func fresh() throws -> String {
        let server = try Self.server.get()
        let name = "test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try psql(server, "CREATE DATABASE \(name)")
        guard let slash = server.range(of: "/", options: .backwards) else { return server }
        let tail = server[slash.upperBound...]
        let query = tail.firstIndex(of: "?").map { String(tail[$0...]) } ?? ""
        return server[..<slash.upperBound] + name + query
    }

    /// Runs one SQL statement on the database of `url` with psql (what an operator, or an
    /// attacker with the database's credentials, would do).
    @discardableResult
    package static func psql(_ url: String, _ sql: String) throws -> String {
        try run("/usr/bin/psql", [url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    private static let server: Result<String, any Error> = Result {
        if let url = ProcessInfo.processInfo.environment["MODELGATE_TEST_DATABASE"], !url.isEmpty { return url }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelgate-pg-\(getpid())").path
        let url = try run(Fixtures.repository.appendingPathComponent("scripts/postgres").path, ["start", folder])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        startedFolder = strdup(folder)
        atexit {
            guard let folder = startedFolder else { return }
            let path = String(cString: folder)
            _ = try? TestDatabase.run(
                Fixtures.repository.appendingPathComponent("scripts/postgres").path, ["stop", path])
            try? FileManager.default.removeItem(atPath: path)
        }
        return url
    }

    private static func run(_ program: String, _ arguments: [String]) throws -> String {
        // Output to files, not pipes: the server that `scripts/postgres start` leaves running
        // would hold a pipe open, and reading it to its end would never return.
        let outputs = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelgate-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outputs) }
        let (output, errors) = (outputs.appendingPathComponent("out"), outputs.appendingPathComponent("err"))
        FileManager.default.createFile(atPath: output.path, contents: nil)
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        do {
            try process.run()
        } catch {
            throw TestDatabaseError(
                "cannot run \(program) (\(error)): install PostgreSQL with scripts/install-deps postgresql")
        }
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let problem = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw TestDatabaseError("\(program) \(arguments.dropFirst().joined(separator: " ")) failed: \(problem)")
        }
        return text
    }
}

/// The folder of the server the tests started, for the exit handler (a C function: no captures).
nonisolated(unsafe) private var startedFolder: UnsafeMutablePointer<CChar>?

package struct TestDatabaseError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
