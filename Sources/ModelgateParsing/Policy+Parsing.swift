import ModelgateCore
import Yams

extension Policy {
    /// Reads a policy document, throwing `invalid_policy` listing every problem.
    package init(yaml text: String) throws {
        let (policy, problems) = Self.lint(text)
        guard let policy, problems.isEmpty else {
            let list = problems.map { "  - \($0)" }.joined(separator: "\n")
            throw ModelgateError("invalid_policy", "the policy has \(problems.count) problem(s):\n\(list)")
        }
        self = policy
    }

    /// Checks a policy document and reports every problem with its key path and line.
    ///
    /// Unknown keys are errors, not silently ignored: a misspelt `treshold` must not leave the
    /// default in force without the owner knowing.
    package static func lint(_ text: String) -> (Policy?, [DocumentProblem]) {
        let reader = DocumentReader()
        guard let root = reader.compose(text),
            let top = reader.mapping(
                root, at: "", known: ["dataset", "columns", "models", "disclosure", "limits", "quota", "privacy"])
        else { return (nil, reader.problems) }

        let dataset = top["dataset"].flatMap { readDataset($0, reader) }
        if top["dataset"] == nil { reader.report("dataset", root, "required key is missing") }
        let columns = top["columns"].flatMap { readColumns($0, reader) }
        if top["columns"] == nil { reader.report("columns", root, "required key is missing") }
        let models = top["models"].flatMap { readModels($0, reader) }
        if top["models"] == nil { reader.report("models", root, "required key is missing") }
        let disclosure = top["disclosure"].map { readDisclosure($0, reader) } ?? DisclosureRules()
        let limits = top["limits"].map { readLimits($0, reader) } ?? ResourceLimits()
        let quota = top["quota"].map { readQuota($0, reader) } ?? Quota()
        let privacy = top["privacy"].map { readPrivacy($0, reader) } ?? PrivacyRules()
        if privacy.mode == .dp, let columns {
            requireClampingRanges(columns, privacy: top["privacy"], reader)
            requireUnitColumn(columns, privacy: privacy, node: top["privacy"], reader)
        }

        guard let dataset, let columns, let models, reader.problems.isEmpty else {
            return (nil, reader.problems)
        }
        return (
            Policy(
                dataset: dataset, columns: columns, models: models, disclosure: disclosure, limits: limits,
                quota: quota, privacy: privacy),
            []
        )
    }

    private static func readDataset(_ node: Node, _ reader: DocumentReader) -> DatasetDescription? {
        let path = "dataset"
        let keys = ["id", "title", "owner", "openAttribute", "securityLevel", "updateCycle", "citation"]
        guard let map = reader.mapping(node, at: path, known: keys) else { return nil }
        func text(_ key: String) -> String? {
            reader.required(map, key, at: path, parent: node).flatMap { reader.string($0, at: "\(path).\(key)") }
        }
        let id = text("id")
        if let id, !DatasetDescription.isValidID(id) {
            reader.report("dataset.id", map["id"], "use lowercase letters, digits and '-' only (e.g. household-survey)")
        }
        let title = text("title")
        let owner = text("owner")
        let citation = text("citation")
        let open = reader.required(map, "openAttribute", at: path, parent: node).flatMap {
            reader.oneOf($0, at: "dataset.openAttribute", OpenAttribute.self, allowed: OpenAttribute.allCases)
        }
        let level = map["securityLevel"].flatMap { reader.int($0, at: "dataset.securityLevel", in: 1...5) }
        let cycle = map["updateCycle"].flatMap { reader.string($0, at: "dataset.updateCycle") }
        guard let id, let title, let owner, let citation, let open else { return nil }
        return DatasetDescription(
            id: id, title: title, owner: owner, openAttribute: open, securityLevel: level, updateCycle: cycle,
            citation: citation)
    }

    private static func readColumns(_ node: Node, _ reader: DocumentReader) -> [ColumnPolicy]? {
        guard let entries = reader.namedEntries(node, at: "columns") else { return nil }
        if entries.isEmpty { reader.report("columns", node, "a dataset needs at least one column") }
        var columns: [ColumnPolicy] = []
        for (name, entry) in entries {
            let path = "columns.\(name)"
            if !ColumnPolicy.isValidName(name) {
                reader.report(path, entry, "column names use letters, digits and '_' only")
            }
            guard
                let map = reader.mapping(
                    entry, at: path, known: ["class", "type", "min", "max", "description", "unit", "levels"])
            else { continue }
            let columnClass = reader.required(map, "class", at: path, parent: entry).flatMap {
                reader.oneOf($0, at: "\(path).class", ColumnClass.self, allowed: ColumnClass.allCases)
            }
            let type = reader.required(map, "type", at: path, parent: entry).flatMap {
                reader.oneOf($0, at: "\(path).type", ColumnType.self, allowed: ColumnType.allCases)
            }
            // Integer bounds are whole numbers a Double holds exactly; number bounds stay far
            // enough from overflow that bin widths and sums over them are finite.
            let limit = type == .integer ? ColumnPolicy.largestExactInteger : 1e300
            let min = map["min"].flatMap { reader.double($0, at: "\(path).min", in: -limit...limit) }
            let max = map["max"].flatMap { reader.double($0, at: "\(path).max", in: -limit...limit) }
            for (key, bound) in [("min", min), ("max", max)] where type == .integer {
                if let bound, bound != bound.rounded() {
                    reader.report("\(path).\(key)", map[key], "an integer column's bounds are whole numbers")
                }
            }
            if let type, type != .integer, type != .number, map["min"] != nil || map["max"] != nil {
                reader.report(path, entry, "min and max apply to integer and number columns only")
            }
            if let min, let max, min > max {
                reader.report("\(path).min", map["min"], "min (\(min)) is greater than max (\(max))")
            }
            let description = map["description"].flatMap { reader.string($0, at: "\(path).description") }
            let unit = map["unit"].flatMap { reader.string($0, at: "\(path).unit") }
            let levels = map["levels"].flatMap { reader.strings($0, at: "\(path).levels") }
            if let levels {
                if type != .category {
                    reader.report("\(path).levels", map["levels"], "levels are declared for category columns only")
                } else if levels.isEmpty || Set(levels).count != levels.count {
                    reader.report("\(path).levels", map["levels"], "declare at least one level, each once")
                } else if levels.count > AdmissionLimits.cells {
                    reader.report("\(path).levels", map["levels"], "at most \(AdmissionLimits.cells) levels")
                }
            }
            if let columnClass, let type {
                columns.append(
                    ColumnPolicy(
                        name: name, columnClass: columnClass, type: type, min: min, max: max,
                        description: description, unit: unit, levels: levels))
            }
        }
        return columns
    }

    private static func readModels(_ node: Node, _ reader: DocumentReader) -> [ModelKind]? {
        guard let items = reader.sequence(node, at: "models") else { return nil }
        var models: [ModelKind] = []
        for (index, item) in items.enumerated() {
            if let kind = reader.oneOf(item, at: "models[\(index)]", ModelKind.self, allowed: ModelKind.allCases) {
                models.append(kind)
            }
        }
        return models
    }

    private static func readDisclosure(_ node: Node, _ reader: DocumentReader) -> DisclosureRules {
        var rules = DisclosureRules()
        let path = "disclosure"
        let keys = [
            "threshold", "zerosAreDisclosive", "nkRule", "pRatio", "minimumDegreesOfFreedom", "maxParameterRatio",
            "maxLeverage",
        ]
        guard let map = reader.mapping(node, at: path, known: keys) else { return rules }
        if let v = map["threshold"].flatMap({ reader.int($0, at: "\(path).threshold", in: 1...1_000_000) }) {
            rules.threshold = v
        }
        if let v = map["zerosAreDisclosive"].flatMap({ reader.bool($0, at: "\(path).zerosAreDisclosive") }) {
            rules.zerosAreDisclosive = v
        }
        if let nk = map["nkRule"], let nkMap = reader.mapping(nk, at: "\(path).nkRule", known: ["n", "k"]) {
            if let n = nkMap["n"].flatMap({ reader.int($0, at: "\(path).nkRule.n", in: 1...Contributions.kept) }) {
                rules.nkRule.n = n
            }
            if let k = nkMap["k"].flatMap({ reader.double($0, at: "\(path).nkRule.k", in: 0.01...1) }) {
                rules.nkRule.k = k
            }
        }
        if let v = map["pRatio"].flatMap({ reader.double($0, at: "\(path).pRatio", in: 0...1) }) { rules.pRatio = v }
        if let v = map["minimumDegreesOfFreedom"].flatMap({
            reader.int($0, at: "\(path).minimumDegreesOfFreedom", in: 0...1_000_000)
        }) {
            rules.minimumDegreesOfFreedom = v
        }
        if let v = map["maxParameterRatio"].flatMap({
            reader.double($0, at: "\(path).maxParameterRatio", in: 0.001...1)
        }) {
            rules.maxParameterRatio = v
        }
        if let v = map["maxLeverage"].flatMap({ reader.double($0, at: "\(path).maxLeverage", in: 0.01...1) }) {
            rules.maxLeverage = v
        }
        return rules
    }

    private static func readLimits(_ node: Node, _ reader: DocumentReader) -> ResourceLimits {
        var limits = ResourceLimits()
        let keys = ["cpuSeconds", "memoryMegabytes", "wallSeconds", "outputBytes"]
        guard let map = reader.mapping(node, at: "limits", known: keys) else { return limits }
        if let v = map["cpuSeconds"].flatMap({ reader.int($0, at: "limits.cpuSeconds", in: 1...86_400) }) {
            limits.cpuSeconds = v
        }
        if let v = map["memoryMegabytes"].flatMap({ reader.int($0, at: "limits.memoryMegabytes", in: 16...1_048_576) })
        {
            limits.memoryMegabytes = v
        }
        if let v = map["wallSeconds"].flatMap({ reader.int($0, at: "limits.wallSeconds", in: 1...86_400) }) {
            limits.wallSeconds = v
        }
        if let v = map["outputBytes"].flatMap({ reader.int($0, at: "limits.outputBytes", in: 1024...1_073_741_824) }) {
            limits.outputBytes = v
        }
        return limits
    }

    /// `privacy: {mode, datasetEpsilon, agreementEpsilon, maxEpsilonPerJob, epsilonPerJob}`; in
    /// `dp` mode the three budgets are required and nested: a job within an agreement within the
    /// dataset's cap.
    private static func readPrivacy(_ node: Node, _ reader: DocumentReader) -> PrivacyRules {
        var rules = PrivacyRules()
        let path = "privacy"
        let keys = ["mode", "datasetEpsilon", "agreementEpsilon", "maxEpsilonPerJob", "epsilonPerJob", "unit"]
        guard let map = reader.mapping(node, at: path, known: keys) else { return rules }
        if let mode = map["mode"].flatMap({
            reader.oneOf($0, at: "\(path).mode", PrivacyRules.Mode.self, allowed: PrivacyRules.Mode.allCases)
        }) {
            rules.mode = mode
        }
        func epsilon(_ key: String) -> MicroEpsilon? {
            guard let value = map[key] else { return nil }
            guard let text = reader.scalarText(value, at: "\(path).\(key)") else { return nil }
            guard let epsilon = MicroEpsilon(text: text), epsilon > .zero else {
                reader.report(
                    "\(path).\(key)", value,
                    "expected ε above 0 and at most \(MicroEpsilon.largest), with at most six decimal places; found '\(text)'"
                )
                return nil
            }
            return epsilon
        }
        let dataset = epsilon("datasetEpsilon")
        let agreement = epsilon("agreementEpsilon")
        let job = epsilon("maxEpsilonPerJob")
        let byDefault = epsilon("epsilonPerJob")
        guard rules.mode == .dp else {
            for key in keys.dropFirst() where map[key] != nil {
                reader.report("\(path).\(key)", map[key], "\(key) applies in mode dp only")
            }
            return rules
        }
        for (key, value) in [("datasetEpsilon", dataset), ("agreementEpsilon", agreement), ("maxEpsilonPerJob", job)]
        where value == nil && map[key] == nil {
            reader.report("\(path).\(key)", node, "required in mode dp")
        }
        if let dataset, let agreement, agreement > dataset {
            reader.report(
                "\(path).agreementEpsilon", map["agreementEpsilon"],
                "an agreement's ε (\(agreement)) cannot exceed the dataset's (\(dataset))")
        }
        if let agreement, let job, job > agreement {
            reader.report(
                "\(path).maxEpsilonPerJob", map["maxEpsilonPerJob"],
                "a job's ε (\(job)) cannot exceed an agreement's (\(agreement))")
        }
        if let job, let byDefault, byDefault > job {
            reader.report(
                "\(path).epsilonPerJob", map["epsilonPerJob"],
                "the default ε per job (\(byDefault)) cannot exceed maxEpsilonPerJob (\(job))")
        }
        rules.datasetEpsilon = dataset ?? .zero
        rules.agreementEpsilon = agreement ?? .zero
        rules.maxEpsilonPerJob = job ?? .zero
        rules.epsilonPerJob = byDefault ?? job ?? .zero
        if let node = map["unit"],
            let unit = reader.mapping(node, at: "\(path).unit", known: ["column", "maxRowsPerUnit"])
        {
            let column = reader.required(unit, "column", at: "\(path).unit", parent: node).flatMap {
                reader.string($0, at: "\(path).unit.column")
            }
            let rows = reader.required(unit, "maxRowsPerUnit", at: "\(path).unit", parent: node).flatMap {
                reader.int($0, at: "\(path).unit.maxRowsPerUnit", in: 1...PrivacyUnit.largestMaxRows)
            }
            if let column, let rows { rules.unit = PrivacyUnit(column: column, maxRows: rows) }
        }
        return rules
    }

    /// A privacy unit's column is one the policy lists, of class identifier: it identifies whom
    /// rows belong to, so no spec may use it, and ingest keeps only anonymous codes of it.
    private static func requireUnitColumn(
        _ columns: [ColumnPolicy], privacy: PrivacyRules, node: Node?, _ reader: DocumentReader
    ) {
        guard let unit = privacy.unit else { return }
        guard let column = columns.first(where: { $0.name == unit.column }) else {
            reader.report("privacy.unit.column", node, "'\(unit.column)' is not one of the policy's columns")
            return
        }
        guard column.columnClass == .identifier, column.type == .string else {
            reader.report(
                "privacy.unit.column", node,
                "the unit column '\(unit.column)' must be of class identifier and type string: it says whose rows are whose, so no spec may use it, and its values are told apart byte for byte (write each unit's the same way)"
            )
            return
        }
    }

    /// In `dp` mode every integer and number column that may be measured has a clamping range:
    /// noise is scaled to it, so it must not come from the data.
    private static func requireClampingRanges(_ columns: [ColumnPolicy], privacy: Node?, _ reader: DocumentReader) {
        for column in columns where column.columnClass.mayBeMeasured {
            guard column.type == .integer || column.type == .number, column.min == nil || column.max == nil
            else { continue }
            reader.report(
                "columns.\(column.name)", privacy,
                "in privacy mode dp a measured \(column.type.rawValue) column needs min and max: its values are clamped to them and the noise is scaled to their range"
            )
        }
    }

    private static func readQuota(_ node: Node, _ reader: DocumentReader) -> Quota {
        var quota = Quota()
        guard let map = reader.mapping(node, at: "quota", known: ["jobsPerDay"]) else { return quota }
        if let v = map["jobsPerDay"].flatMap({ reader.int($0, at: "quota.jobsPerDay", in: 0...10_000_000) }) {
            quota.jobsPerDay = v
        }
        return quota
    }
}

extension DatasetDescription {
    /// Dataset ids are slugs so they are safe as folder names and in URLs.
    package static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64
            && id.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
            && id.first != "-"
    }
}

extension ColumnPolicy {
    /// 2⁵³: the largest magnitude up to which a Double holds every whole number.
    package static let largestExactInteger = 9_007_199_254_740_992.0

    /// Column names are identifiers so they are safe as file names.
    package static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.utf8.allSatisfy {
                ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95
            }
    }
}
