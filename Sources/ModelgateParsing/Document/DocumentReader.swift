import ModelgateCore
import Yams

/// Walks a YAML (or JSON) node tree and collects every problem with its key path,
/// instead of stopping at the first, so that `policy lint` can report them all at once.
///
/// Yams parses the text; this adds the strictness a policy needs: unknown keys are errors,
/// and every scalar is checked against the type its key expects.
final class DocumentReader {
    private(set) var problems: [DocumentProblem] = []

    /// Parses `text`; a syntax error becomes a problem and the result is nil.
    func compose(_ text: String) -> Node? {
        do {
            // UTF-8 named, not left to Yams's default, which reads the whole environment each time.
            guard let node = try Yams.compose(yaml: text, .default, .default, .utf8) else {
                report("", nil, "the document is empty")
                return nil
            }
            return node
        } catch {
            // The parser's message may quote the document; a few hundred characters locate the problem.
            let message = String(describing: error)
            report("", nil, "not valid YAML or JSON: \(message.prefix(300))\(message.count > 300 ? "…" : "")")
        }
        return nil
    }

    func report(_ path: String, _ node: Node?, _ message: String) {
        problems.append(DocumentProblem(path: path, line: node?.mark?.line, message: message))
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The pairs of a mapping, in document order; reports keys outside `known` and duplicates.
    func mapping(_ node: Node, at path: String, known: [String]) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            report(path, node, "expected a mapping with keys \(known.joined(separator: ", "))")
            return nil
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                report(path, keyNode, "keys must be plain names")
                continue
            }
            let keyPath = Self.join(path, key)
            if !known.isEmpty, !known.contains(key) {
                report(keyPath, keyNode, "unknown key '\(key)'; expected one of: \(known.joined(separator: ", "))")
                continue
            }
            if result[key] != nil { report(keyPath, keyNode, "key appears twice") }
            result[key] = value
        }
        return result
    }

    /// The ordered pairs of a mapping whose keys are names chosen by the author (e.g. columns).
    func namedEntries(_ node: Node, at path: String) -> [(name: String, node: Node)]? {
        guard case .mapping(let mapping) = node else {
            report(path, node, "expected a mapping from names to entries")
            return nil
        }
        var seen = Set<String>()
        var entries: [(name: String, node: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string, !key.isEmpty else {
                report(path, keyNode, "names must be plain non-empty strings")
                continue
            }
            if !seen.insert(key).inserted {
                report(Self.join(path, key), keyNode, "name appears twice")
                continue
            }
            entries.append((key, value))
        }
        return entries
    }

    func required(_ map: [String: Node], _ key: String, at path: String, parent: Node?) -> Node? {
        if let node = map[key] { return node }
        report(Self.join(path, key), parent, "required key is missing")
        return nil
    }

    func string(_ node: Node, at path: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            report(path, node, "expected a non-empty string")
            return nil
        }
        return scalar.string
    }

    func scalarText(_ node: Node, at path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(path, node, "expected a single value")
            return nil
        }
        return scalar.string
    }

    func int(_ node: Node, at path: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = scalarText(node, at: path) else { return nil }
        guard let value = Int(text) else {
            report(path, node, "expected a whole number, found '\(text)'")
            return nil
        }
        guard range.contains(value) else {
            report(path, node, "must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    func double(_ node: Node, at path: String, in range: ClosedRange<Double>? = nil) -> Double? {
        guard let text = scalarText(node, at: path) else { return nil }
        guard let value = Double(text), value.isFinite else {
            report(path, node, "expected a number, found '\(text)'")
            return nil
        }
        if let range, !range.contains(value) {
            report(path, node, "must be between \(range.lowerBound) and \(range.upperBound), found \(text)")
            return nil
        }
        return value
    }

    func bool(_ node: Node, at path: String) -> Bool? {
        guard let text = scalarText(node, at: path) else { return nil }
        switch text.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default:
            report(path, node, "expected true or false, found '\(text)'")
            return nil
        }
    }

    func sequence(_ node: Node, at path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(path, node, "expected a list")
            return nil
        }
        return Array(sequence)
    }

    func strings(_ node: Node, at path: String) -> [String]? {
        guard let items = sequence(node, at: path) else { return nil }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            if let text = string(item, at: "\(path)[\(index)]") { result.append(text) }
        }
        return result.count == items.count ? result : nil
    }

    func oneOf<T: RawRepresentable>(_ node: Node, at path: String, _ type: T.Type, allowed: [T]) -> T?
    where T.RawValue == String {
        guard let text = string(node, at: path) else { return nil }
        guard let value = T(rawValue: text) else {
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            report(path, node, "'\(text)' is not one of: \(names)")
            return nil
        }
        return value
    }
}
