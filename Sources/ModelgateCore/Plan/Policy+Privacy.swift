/// How a job on a dataset in privacy mode `dp` is answered: the ε it spends, the mechanism, and
/// the shape of what is released, all from the policy and the spec, never from the data.
package struct PrivacyTerms: Sendable, Equatable, Codable {
    package var epsilon: MicroEpsilon
    /// The L1 sensitivity of what is released, for replace-one neighbours (the dataset's size is
    /// public, in the catalog): one row changed moves from one cell to another, so a table of
    /// counts changes by 2 at most.
    package var sensitivity: Int64
    /// A table's dimensions with the levels the policy declares (a category's `levels`, an
    /// integer's bounds, a boolean's false and true); nil for other models.
    package var dimensions: [TableDimension]?

    package static let mechanism = "discrete_laplace"

    package init(epsilon: MicroEpsilon, sensitivity: Int64, dimensions: [TableDimension]?) {
        self.epsilon = epsilon
        self.sensitivity = sensitivity
        self.dimensions = dimensions
    }
}

extension Policy {
    /// In privacy mode `dp`, the terms of a job already admitted by ``admit(_:)``, or the refusal
    /// that says what is not available; nil in exact mode (where a spec's `epsilon` is refused).
    ///
    /// Released in dp mode so far: counts (a crosstab's cells over declared levels, a histogram's
    /// bins), each cell one disjoint group, so that one row changed moves one count down and
    /// another up by one: sensitivity 2 for the whole table, which costs ε once.
    package func privacyTerms(for spec: ModelSpec) throws(Refusal) -> PrivacyTerms? {
        guard privacy.mode == .dp else {
            if spec.epsilon != nil {
                throw Refusal(
                    .epsilonNotAllowed,
                    "dataset '\(dataset.id)' gives exact results checked for disclosure; 'epsilon' applies to datasets in privacy mode dp only"
                )
            }
            return nil
        }
        let epsilon = spec.epsilon ?? privacy.epsilonPerJob
        guard epsilon <= privacy.maxEpsilonPerJob else {
            throw Refusal(
                .epsilonNotAllowed,
                "epsilon \(epsilon) is above the \(privacy.maxEpsilonPerJob) a job may spend on '\(dataset.id)'")
        }
        switch spec.task {
        case .crosstab(let table) where table.statistic == .count && table.measure == nil:
            var dimensions: [TableDimension] = []
            for name in table.dimensions {
                guard let column = column(named: name) else { continue }
                switch column.type {
                case .category:
                    guard let levels = column.levels else {
                        throw Refusal(
                            .levelsUndeclared,
                            "'\(name)' is a category whose levels the policy does not declare; in privacy mode dp a table shows every declared level, so ask the data owner to declare them"
                        )
                    }
                    dimensions.append(TableDimension(name: name, levels: levels))
                case .boolean:
                    dimensions.append(TableDimension(name: name, levels: ["false", "true"]))
                case .integer:
                    // Admission required the bounds and kept the table within its cell limit.
                    guard let low = column.min, let high = column.max else { continue }
                    // The worker's levels: every whole number within the bounds.
                    let (first, last) = (Int(low.rounded(.up)), Int(high.rounded(.down)))
                    dimensions.append(
                        TableDimension(name: name, levels: first <= last ? (first...last).map(String.init) : []))
                default: continue
                }
            }
            let cells = dimensions.reduce(1) { $0 * max(1, $1.levels.count) }
            guard cells <= AdmissionLimits.cells else {
                throw Refusal(
                    .tooManyCells,
                    "the table over the declared levels would have \(cells) cells, more than the \(AdmissionLimits.cells) allowed; group more coarsely"
                )
            }
            return PrivacyTerms(epsilon: epsilon, sensitivity: 2, dimensions: dimensions)
        case .histogram:
            return PrivacyTerms(epsilon: epsilon, sensitivity: 2, dimensions: nil)
        case .logisticRegression:
            throw Refusal(
                .notAvailableInDP,
                "logistic regression has no differentially private mechanism here; '\(dataset.id)' is in privacy mode dp"
            )
        default:
            throw Refusal(
                .notAvailableInDP,
                "in privacy mode dp '\(dataset.id)' answers counts so far: a crosstab with statistic count, or a histogram; sums, means, summaries and regressions are not available yet"
            )
        }
    }
}
