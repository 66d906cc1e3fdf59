/// The ways a spec may use a column; each class of column allows some of them.
enum ColumnRole: CaseIterable {
    case group, filter, measure, feature, binaryTarget

    /// The role as the codebook names it.
    var name: String {
        switch self {
        case .group: return "group"
        case .filter: return "filter"
        case .measure: return "measure"
        case .feature: return "feature"
        case .binaryTarget: return "logit target"
        }
    }

    var phrase: String {
        switch self {
        case .group: return "group rows (a table dimension)"
        case .filter: return "filter rows"
        case .measure: return "be measured"
        case .feature: return "be a regression feature"
        case .binaryTarget: return "be a logistic regression target"
        }
    }
}

/// Bounds on the size of a job that admission enforces.
package enum AdmissionLimits {
    package static let dimensions = 3
    package static let variables = 20
    package static let features = 20
    package static let filters = 16
    package static let filterValues = 1000
    package static let bins = 1000
    /// Largest number of table cells.
    package static let cells = 100_000
    /// Largest number of regression terms (after dummy coding).
    package static let terms = 300
}

extension Policy {
    /// Decides whether a spec may run on this dataset, before anything runs.
    ///
    /// Returns the plan, or throws a ``Refusal`` whose message tells the researcher what to change.
    package func admit(_ spec: ModelSpec) throws(Refusal) -> Plan {
        guard spec.dataset == dataset.id else {
            throw Refusal(.unknownDataset, "this policy is for dataset '\(dataset.id)', not '\(spec.dataset)'")
        }
        guard dataset.openAttribute != .closed else {
            throw Refusal(.datasetClosed, "dataset '\(dataset.id)' is closed: no model may run on it")
        }
        guard models.contains(spec.model) else {
            let allowed = models.map(\.rawValue).joined(separator: ", ")
            throw Refusal(
                .modelNotAllowed,
                "model '\(spec.model.rawValue)' is not allowed on '\(dataset.id)'; allowed: \(allowed.isEmpty ? "none" : allowed)"
            )
        }
        var used: [PlannedColumn] = []
        func use(_ name: String, as role: ColumnRole, key: String) throws(Refusal) {
            let column = try self.column(name, as: role, key: key)
            if !used.contains(where: { $0.name == name }) {
                used.append(PlannedColumn(name: name, type: column.type, min: column.min, max: column.max))
            }
        }

        var task = spec.task
        switch spec.task {
        case .summary(let variables):
            try requireCount(variables.count, 1...AdmissionLimits.variables, what: "variables", code: .invalidSpec)
            guard Set(variables).count == variables.count else {
                throw Refusal(.invalidSpec, "a variable appears twice in variables")
            }
            for name in variables { try use(name, as: .measure, key: "variables") }
        case .crosstab(let table):
            try requireCount(
                table.dimensions.count, 1...AdmissionLimits.dimensions, what: "dimensions (rows + columns)",
                code: .tooManyDimensions)
            guard Set(table.dimensions).count == table.dimensions.count else {
                throw Refusal(.invalidSpec, "a column appears twice among rows and columns")
            }
            for name in table.rows { try use(name, as: .group, key: "rows") }
            for name in table.columns { try use(name, as: .group, key: "columns") }
            try requireGroupBounds(table.dimensions)
            if let measure = table.measure {
                guard !table.dimensions.contains(measure) else {
                    throw Refusal(.invalidSpec, "the measure '\(measure)' cannot also be a dimension")
                }
                try use(measure, as: .measure, key: "measure")
            }
        case .histogram(let histogram):
            try use(histogram.variable, as: .measure, key: "variable")
            // `bins` stays set only when the edges come from the policy's bounds.
            let bins = histogram.edges == nil ? (histogram.bins ?? 10) : nil
            task = .histogram(HistogramTask(variable: histogram.variable, bins: bins, edges: try edges(for: histogram)))
        case .linearRegression(let regression), .logisticRegression(let regression):
            try requireCount(
                regression.features.count, 1...AdmissionLimits.features, what: "features", code: .tooManyFeatures)
            guard Set(regression.features).count == regression.features.count,
                !regression.features.contains(regression.target)
            else { throw Refusal(.invalidSpec, "features must be distinct and must not include the target") }
            let isLogistic = spec.model == .logisticRegression
            try use(regression.target, as: isLogistic ? .binaryTarget : .measure, key: "target")
            for name in regression.features { try use(name, as: .feature, key: "features") }
        }

        guard spec.filters.count <= AdmissionLimits.filters else {
            throw Refusal(.invalidFilter, "at most \(AdmissionLimits.filters) filters are allowed")
        }
        var filters: [PlannedFilter] = []
        for (index, filter) in spec.filters.enumerated() {
            try use(filter.column, as: .filter, key: "where[\(index)].column")
            filters.append(try plan(filter, index: index))
        }
        return Plan(
            dataset: dataset.id, task: task, filters: filters, columns: used, maximumCells: AdmissionLimits.cells)
    }

    /// What a spec may use column `name` for, as the codebook says it: the roles admission
    /// would let it take (`group`, `filter`, `measure`, `feature`, `logit target`).
    package func uses(of name: String) -> [String] {
        ColumnRole.allCases.filter { role in (try? column(name, as: role, key: "")) != nil }.map(\.name)
    }

    private func column(_ name: String, as role: ColumnRole, key: String) throws(Refusal) -> ColumnPolicy {
        guard let column = column(named: name) else {
            let names = columns.filter { $0.columnClass != .identifier }.map(\.name).joined(separator: ", ")
            throw Refusal(
                .unknownColumn, "\(key): '\(name)' is not a column of '\(dataset.id)'; its columns are \(names)")
        }
        let className = column.columnClass.rawValue
        switch column.columnClass {
        case .identifier:
            throw Refusal(
                .columnNotAllowed, "\(key): '\(name)' is an identifier column and cannot be used in any model")
        case .sensitive where role == .group || role == .filter:
            throw Refusal(
                .columnNotAllowed,
                "\(key): '\(name)' is \(className): it may be measured but may not \(role.phrase); group and filter by quasi-identifier or ordinary columns"
            )
        default: break
        }
        let fits: Bool
        let expected: String
        switch role {
        case .group:
            (fits, expected) = (column.type.isDiscrete, "category, integer or boolean")
        case .filter:
            (fits, expected) = (column.type != .string, "category, integer, number or boolean")
        case .measure:
            (fits, expected) = (column.type.isNumeric, "integer, number or boolean")
        case .feature:
            (fits, expected) = (
                column.type.isNumeric || column.type == .category, "integer, number, boolean or category"
            )
        case .binaryTarget:
            (fits, expected) = (column.type == .boolean, "boolean")
        }
        guard fits else {
            throw Refusal(
                .wrongColumnType,
                "\(key): '\(name)' is \(withIndefiniteArticle(column.type.rawValue)) column; to \(role.phrase) it must be \(expected)"
            )
        }
        return column
    }

    /// An integer dimension's levels are every value between the policy's bounds: levels taken
    /// from the data would show which values occur (the oldest person's age, say).
    private func requireGroupBounds(_ dimensions: [String]) throws(Refusal) {
        var cells = 1
        for name in dimensions {
            guard let column = column(named: name) else { continue }
            switch column.type {
            case .integer:
                guard let low = column.min, let high = column.max else {
                    throw Refusal(
                        .groupNeedsBounds,
                        "'\(name)' has no min and max in the policy, so its levels cannot be listed without looking at the data; ask the data owner to declare them"
                    )
                }
                cells *= Int(min(high - low + 1, Double(AdmissionLimits.cells + 1)))
            case .boolean: cells *= 2
            default: break
            }
            guard cells <= AdmissionLimits.cells else {
                throw Refusal(
                    .tooManyCells, "the table would have more than \(AdmissionLimits.cells) cells; group more coarsely")
            }
        }
    }

    private func requireCount(_ count: Int, _ range: ClosedRange<Int>, what: String, code: Refusal.Code) throws(Refusal)
    {
        guard range.contains(count) else {
            let code = count < range.lowerBound ? .invalidSpec : code
            throw Refusal(
                code, "\(count) \(what) given; between \(range.lowerBound) and \(range.upperBound) are allowed")
        }
    }

    /// Histogram edges come from the spec or from the policy's declared bounds, never from the
    /// data's own extremes (which are single people's values).
    private func edges(for histogram: HistogramTask) throws(Refusal) -> [Double] {
        if let edges = histogram.edges {
            guard (2...(AdmissionLimits.bins + 1)).contains(edges.count) else {
                throw Refusal(.invalidSpec, "edges: give between 2 and \(AdmissionLimits.bins + 1) edges")
            }
            guard zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw Refusal(.invalidSpec, "edges must be strictly increasing")
            }
            return edges
        }
        let column = column(named: histogram.variable)
        guard let low = column?.min, let high = column?.max, low < high else {
            throw Refusal(
                .binsNeedBounds,
                "'\(histogram.variable)' has no min and max in the policy, so bins cannot be placed; give explicit edges"
            )
        }
        var count = histogram.bins ?? 10
        guard column?.type == .integer else {
            return (0...count).map { $0 == count ? high : low + (high - low) * Double($0) / Double(count) }
        }
        // An integer variable gets whole-number edges (no bin holds "16.0 to 23.4"), at most one
        // bin per whole number.
        let (first, last) = (low.rounded(.up), high.rounded(.down))
        count = max(1, min(count, Int(last - first)))
        return (0...count).map { ($0 == count ? last : first + (last - first) * Double($0) / Double(count)).rounded() }
    }

    private func plan(_ filter: Filter, index: Int) throws(Refusal) -> PlannedFilter {
        let key = "where[\(index)]"
        guard let column = column(named: filter.column) else {
            throw Refusal(.unknownColumn, "\(key): '\(filter.column)' is not a column of '\(dataset.id)'")
        }
        let items = filter.value.items
        guard (1...AdmissionLimits.filterValues).contains(items.count) else {
            throw Refusal(.invalidFilter, "\(key): give between 1 and \(AdmissionLimits.filterValues) values")
        }
        switch column.type {
        case .category:
            guard !filter.op.isOrdering else {
                throw Refusal(
                    .invalidFilter,
                    "\(key): '\(filter.column)' is a category; use =, != or in, not \(filter.op.rawValue)")
            }
            // Only declared levels can be named as missing: whether an undeclared value occurs is
            // the data's to hide.
            if let levels = column.levels, let unknown = items.first(where: { !levels.contains($0) }) {
                let shown = levels.count <= 20 ? levels.joined(separator: ", ") : "\(levels.count) declared levels"
                throw Refusal(
                    .invalidFilter,
                    "\(key): '\(unknown)' is not a level of '\(filter.column)' (no such level; its levels: \(shown))")
            }
            return PlannedFilter(column: filter.column, op: filter.op, operand: .levels(items))
        case .boolean:
            var numbers: [Double] = []
            for item in items {
                switch item.lowercased() {
                case "true", "1", "yes": numbers.append(1)
                case "false", "0", "no": numbers.append(0)
                default:
                    throw Refusal(
                        .invalidFilter, "\(key): '\(filter.column)' is boolean; '\(item)' is not true or false")
                }
            }
            return PlannedFilter(column: filter.column, op: filter.op, operand: .numbers(numbers))
        case .integer, .number:
            var numbers: [Double] = []
            for item in items {
                guard let number = Double(item), number.isFinite else {
                    throw Refusal(.invalidFilter, "\(key): '\(filter.column)' is numeric; '\(item)' is not a number")
                }
                numbers.append(number)
            }
            return PlannedFilter(column: filter.column, op: filter.op, operand: .numbers(numbers))
        case .string:
            throw Refusal(.wrongColumnType, "\(key): '\(filter.column)' is a free-text column and cannot filter rows")
        }
    }
}
