import ModelgateCore
import Yams

extension ModelSpec {
    /// The largest spec accepted, in bytes.
    package static let maximumSize = 64 * 1024

    /// Reads a spec from YAML or JSON text; a malformed spec is refused with `invalid_spec`
    /// naming every problem, an oversized one with `spec_too_large`.
    package init(text: String) throws(Refusal) {
        let size = text.utf8.count
        guard size <= Self.maximumSize else {
            throw Refusal(.specTooLarge, "the spec is \(size) bytes; the limit is \(Self.maximumSize) bytes")
        }
        let reader = DocumentReader()
        guard let spec = Self.read(text, reader), reader.problems.isEmpty else {
            if let unknown = reader.problems.first(where: {
                $0.path == "model" && $0.message.hasPrefix("unknown model")
            }) {
                throw Refusal(.unknownModel, unknown.message)
            }
            let list = reader.problems.map(\.description).joined(separator: "; ")
            throw Refusal(.invalidSpec, "the spec cannot be read: \(list)")
        }
        self = spec
    }

    private static let commonKeys = ["model", "dataset", "where", "epsilon", "clamp", "label"]
    private static let taskKeys: [ModelKind: [String]] = [
        .summary: ["variables"],
        .crosstab: ["rows", "columns", "measure", "statistic"],
        .histogram: ["variable", "bins", "edges"],
        .linearRegression: ["target", "features"],
        .logisticRegression: ["target", "features"],
    ]

    private static func read(_ text: String, _ reader: DocumentReader) -> ModelSpec? {
        guard let root = reader.compose(text) else { return nil }
        guard case .mapping = root else {
            reader.report("", root, "a spec is a mapping with keys model, dataset, …")
            return nil
        }
        guard let loose = reader.mapping(root, at: "", known: []) else { return nil }
        guard let modelNode = reader.required(loose, "model", at: "", parent: root),
            let modelName = reader.string(modelNode, at: "model")
        else { return nil }
        guard let kind = ModelKind(rawValue: modelName) else {
            reader.report("model", modelNode, ModelKind.unknown(modelName))
            return nil
        }
        guard let map = reader.mapping(root, at: "", known: commonKeys + taskKeys[kind, default: []]) else {
            return nil
        }
        let dataset = reader.required(map, "dataset", at: "", parent: root).flatMap { reader.string($0, at: "dataset") }
        let filters = map["where"].map { readFilters($0, reader) } ?? []
        let task = readTask(kind, map, root, reader)
        var epsilon: MicroEpsilon?
        if let node = map["epsilon"], let text = reader.scalarText(node, at: "epsilon") {
            epsilon = MicroEpsilon(text: text)
            if epsilon == nil || epsilon == .zero {
                reader.report(
                    "epsilon", node, "expected ε above 0 with at most six decimal places (such as 0.1); found '\(text)'"
                )
            }
        }
        let clamp = map["clamp"].map { readClamp($0, reader) } ?? [:]
        let label = map["label"].flatMap { reader.string($0, at: "label") }
        if let label, label.count > 200 { reader.report("label", map["label"], "a label is at most 200 characters") }
        // Shown in job lists, to the researcher and to auditors: a control character (a line
        // break, an escape sequence) could forge rows or rewrite their terminal.
        if let label, label.unicodeScalars.contains(where: \.isHidden) {
            reader.report(
                "label", map["label"],
                "a label may not hold control or format characters (line breaks, escapes, direction overrides)")
        }
        guard let dataset, let task else { return nil }
        return ModelSpec(dataset: dataset, filters: filters, task: task, epsilon: epsilon, clamp: clamp, label: label)
    }

    /// `clamp: { column: [low, high], … }`, each low ≤ high.
    private static func readClamp(_ node: Node, _ reader: DocumentReader) -> [String: ClampRange] {
        guard let entries = reader.namedEntries(node, at: "clamp") else { return [:] }
        var ranges: [String: ClampRange] = [:]
        for (name, value) in entries {
            let path = "clamp.\(name)"
            guard let items = reader.sequence(value, at: path) else { continue }
            let bounds = items.enumerated().compactMap { reader.double($0.element, at: "\(path)[\($0.offset)]") }
            guard items.count == 2, bounds.count == 2, bounds[0] <= bounds[1] else {
                reader.report(path, value, "expected [low, high] with low ≤ high, such as [0, 200000]")
                continue
            }
            ranges[name] = ClampRange(low: bounds[0], high: bounds[1])
        }
        return ranges
    }

    private static func readTask(
        _ kind: ModelKind, _ map: [String: Node], _ root: Node, _ reader: DocumentReader
    ) -> ModelTask? {
        func names(_ key: String, required: Bool = true) -> [String]? {
            guard let node = map[key] else {
                if required { reader.report(key, root, "required key is missing") }
                return required ? nil : []
            }
            return reader.strings(node, at: key)
        }
        func name(_ key: String) -> String? {
            reader.required(map, key, at: "", parent: root).flatMap { reader.string($0, at: key) }
        }
        switch kind {
        case .summary:
            return names("variables").map { .summary(variables: $0) }
        case .crosstab:
            let statistic =
                map["statistic"].map {
                    reader.oneOf($0, at: "statistic", TableStatistic.self, allowed: TableStatistic.allCases)
                } ?? .count
            let measure = map["measure"].flatMap { reader.string($0, at: "measure") }
            guard let rows = names("rows"), let columns = names("columns", required: false), let statistic else {
                return nil
            }
            if statistic != .count, measure == nil {
                reader.report("measure", root, "statistic '\(statistic.rawValue)' needs a measure column")
            }
            if measure != nil, map["statistic"] == nil {
                reader.report(
                    "statistic", root,
                    "'measure' is given without a 'statistic': a table counts rows unless it names one; add statistic: sum, mean, median or std, or drop measure"
                )
            }
            return .crosstab(CrosstabTask(rows: rows, columns: columns, measure: measure, statistic: statistic))
        case .histogram:
            let bins = map["bins"].flatMap { reader.int($0, at: "bins", in: 1...1000) }
            var edges: [Double]?
            if let node = map["edges"], let items = reader.sequence(node, at: "edges") {
                let values = items.enumerated().compactMap { reader.double($0.element, at: "edges[\($0.offset)]") }
                if values.count == items.count { edges = values }
            }
            if map["bins"] != nil, map["edges"] != nil {
                reader.report("bins", root, "give either bins or edges, not both")
            }
            guard let variable = name("variable") else { return nil }
            return .histogram(HistogramTask(variable: variable, bins: bins, edges: edges))
        case .linearRegression, .logisticRegression:
            guard let target = name("target"), let features = names("features") else { return nil }
            let task = RegressionTask(target: target, features: features)
            return kind == .linearRegression ? .linearRegression(task) : .logisticRegression(task)
        }
    }

    private static func readFilters(_ node: Node, _ reader: DocumentReader) -> [Filter] {
        guard let items = reader.sequence(node, at: "where") else { return [] }
        var filters: [Filter] = []
        for (index, item) in items.enumerated() {
            let path = "where[\(index)]"
            guard let map = reader.mapping(item, at: path, known: ["column", "op", "value"]) else { continue }
            let column = reader.required(map, "column", at: path, parent: item).flatMap {
                reader.string($0, at: "\(path).column")
            }
            let op = reader.required(map, "op", at: path, parent: item).flatMap {
                reader.oneOf($0, at: "\(path).op", FilterOperator.self, allowed: FilterOperator.allCases)
            }
            var value: FilterValue?
            if let valueNode = reader.required(map, "value", at: path, parent: item) {
                switch valueNode {
                case .sequence(let sequence):
                    let texts = sequence.enumerated().compactMap {
                        reader.scalarText($0.element, at: "\(path).value[\($0.offset)]")
                    }
                    if texts.count == sequence.count { value = .list(texts) }
                default:
                    value = reader.scalarText(valueNode, at: "\(path).value").map(FilterValue.one)
                }
            }
            guard let column, let op, let value else { continue }
            if op == .isIn, case .one = value {
                reader.report("\(path).value", item, "'in' takes a list of values")
                continue
            }
            if op != .isIn, case .list = value {
                reader.report("\(path).value", item, "'\(op.rawValue)' takes one value; use 'in' for a list")
                continue
            }
            filters.append(Filter(column: column, op: op, value: value))
        }
        return filters
    }
}
