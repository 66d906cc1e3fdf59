import Foundation

/// `openapi.yaml` (a resource of this target; the repository's top-level `openapi.yaml` links
/// to it), served at `/openapi.yaml`. A test checks that it documents exactly the routes the
/// router has.
package enum OpenAPIDocument {
    package static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\ninfo: {title: modelgate, version: '1'}\npaths: {}\n" }
        return text
    }()

    /// `METHOD /path` for every operation the document describes, path parameters as `{id}`.
    package static var operations: Set<String> {
        var operations: Set<String> = []
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("components:") {
                path = nil
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if ["get", "post", "put", "delete", "patch"].contains(key) {
                    operations.insert("\(key.uppercased()) \(path)")
                }
            }
        }
        return operations
    }
}
