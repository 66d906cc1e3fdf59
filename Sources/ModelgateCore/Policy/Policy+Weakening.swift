extension Policy {
    /// What `new` allows or releases that this policy did not, each in words naming the key: a
    /// column put to more uses, a model newly allowed, a disclosure rule made looser, a dataset
    /// opened further, a larger daily quota. Empty when `new` is at least as strict everywhere.
    /// A reload that weakens needs the administrator's confirmation and is recorded naming these.
    package func weakenings(to new: Policy) -> [String] {
        var found: [String] = []
        let before = Dictionary(columns.map { ($0.name, $0.columnClass) }, uniquingKeysWith: { first, _ in first })
        for column in new.columns {
            guard let old = before[column.name], column.columnClass.openness > old.openness else { continue }
            found.append(
                "columns.\(column.name): \(old.rawValue) → \(column.columnClass.rawValue)"
                    + (column.columnClass.mayGroupOrFilter && !old.mayGroupOrFilter
                        ? " (it may now group and filter rows)" : ""))
        }
        for model in new.models where !models.contains(model) {
            found.append("models: \(model.rawValue) is newly allowed")
        }
        if new.dataset.owner != dataset.owner {
            // Another body would decide its applications and suspensions.
            found.append("dataset.owner: \(dataset.owner) → \(new.dataset.owner)")
        }
        if new.dataset.openAttribute.openness > dataset.openAttribute.openness {
            found.append(
                "dataset.openAttribute: \(dataset.openAttribute.rawValue) → \(new.dataset.openAttribute.rawValue)")
        }
        let (old, next) = (disclosure, new.disclosure)
        func looser<T: Comparable>(_ key: String, _ before: T, _ after: T, higherIsLooser: Bool) {
            if higherIsLooser ? after > before : after < before {
                found.append("disclosure.\(key): \(before) → \(after)")
            }
        }
        looser("threshold", old.threshold, next.threshold, higherIsLooser: false)
        if old.zerosAreDisclosive && !next.zerosAreDisclosive {
            found.append("disclosure.zerosAreDisclosive: true → false")
        }
        // n-k dominance: fewer top contributions, or a larger share they may hold, lets more through.
        looser("nkRule.n", old.nkRule.n, next.nkRule.n, higherIsLooser: false)
        looser("nkRule.k", old.nkRule.k, next.nkRule.k, higherIsLooser: true)
        looser("pRatio", old.pRatio, next.pRatio, higherIsLooser: false)
        looser(
            "minimumDegreesOfFreedom", old.minimumDegreesOfFreedom, next.minimumDegreesOfFreedom, higherIsLooser: false)
        looser("maxParameterRatio", old.maxParameterRatio, next.maxParameterRatio, higherIsLooser: true)
        looser("maxLeverage", old.maxLeverage, next.maxLeverage, higherIsLooser: true)
        if new.quota.jobsPerDay > quota.jobsPerDay {
            found.append("quota.jobsPerDay: \(quota.jobsPerDay) → \(new.quota.jobsPerDay)")
        }
        return found
    }
}

extension ColumnClass {
    /// How much a spec may do with a column of this class: an identifier nothing, a sensitive
    /// column is measured only, a quasi-identifier also groups and filters (with its outputs
    /// checked as such), an ordinary column the same without that caution.
    fileprivate var openness: Int {
        switch self {
        case .identifier: 0
        case .sensitive: 1
        case .quasiIdentifier: 2
        case .ordinary: 3
        }
    }
}

extension OpenAttribute {
    fileprivate var openness: Int {
        switch self {
        case .closed: 0
        case .conditional: 1
        case .unconditional: 2
        }
    }
}
