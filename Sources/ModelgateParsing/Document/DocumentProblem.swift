/// One problem found in a policy or spec document, with the key path and line where it is.
package struct DocumentProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Dotted key path, e.g. `columns.age.min` or `where[0].op`; empty for the whole document.
    package var path: String
    /// 1-based line in the document, when known.
    package var line: Int?
    package var message: String

    package init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    package var description: String {
        let place = path.isEmpty ? "document" : path
        if let line { return "\(place) (line \(line)): \(message)" }
        return "\(place): \(message)"
    }
}
