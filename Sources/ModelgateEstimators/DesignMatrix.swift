import ModelgateCore

/// The regression design: an intercept, numeric features as they are, and category features
/// dummy-coded against their alphabetically first level (`district=Beibei`). Every level of the
/// dataset gets a term, whether or not the selected rows hold it, so the terms say nothing about
/// the data; an empty or small level is caught by the output checker through `groups`.
///
/// Rows are visited sparsely: a row has one active term per feature, so building XᵀX costs
/// O(features²) per row whatever the number of dummy terms.
package struct DesignMatrix {
    package static let intercept = "(intercept)"

    let terms: [String]
    let target: MeasureValues
    let selection: RowSelection
    /// Term index and values of each numeric feature.
    let denseTerms: [Int32]
    let denseValues: [MeasureValues]
    /// Per categorical feature, each row's term (-1 for the baseline level).
    let categoricalTerms: [[Int32]]

    /// The groups of rows the fit would give away, for the output checker.
    let groups: DesignGroups

    var parameterCount: Int { terms.count }
    var nObservations: Int { selection.rowsUsed }
    /// The most terms one row can activate.
    var activeLimit: Int { 1 + denseTerms.count + categoricalTerms.count }

    init(_ task: RegressionTask, plan: Plan, columns: ColumnSet, selection: RowSelection) throws(Refusal) {
        self.selection = selection
        target = MeasureValues(columns[task.target]!)
        var terms = [Self.intercept]
        var denseTerms: [Int32] = []
        var denseValues: [MeasureValues] = []
        var denseNames: [String] = []
        var categoricalTerms: [[Int32]] = []
        for name in task.features {
            let column = columns[name]!
            switch column.storage {
            case .codes:
                guard !column.levels.isEmpty else {
                    throw Refusal(.invalidSpec, "feature '\(name)' has no levels: the dataset holds no value for it")
                }
                // Levels are stored sorted: the first is the alphabetical baseline.
                var termOfCode = [Int32](repeating: -1, count: column.levels.count)
                for code in column.levels.indices.dropFirst() {
                    termOfCode[code] = Int32(terms.count)
                    terms.append("\(name)=\(column.levels[code])")
                }
                categoricalTerms.append((0..<selection.rowCount).map { termOfCode[column.code(at: $0)] })
            default:
                denseTerms.append(Int32(terms.count))
                denseValues.append(MeasureValues(column))
                denseNames.append(name)
                terms.append(name)
            }
            guard terms.count <= AdmissionLimits.terms else {
                throw Refusal(
                    .tooManyParameters,
                    "the design would have more than \(AdmissionLimits.terms) terms; use fewer or coarser category features"
                )
            }
        }
        groups = DesignGroups(
            features: task.features, target: task.target,
            measures: [(task.target, target)] + zip(denseNames, denseValues).map { ($0, $1) }, columns: columns,
            selection: selection)
        self.terms = terms
        self.denseTerms = denseTerms
        self.denseValues = denseValues
        self.categoricalTerms = categoricalTerms
    }

    /// Calls `body(indices, values, count, y)` for every used row with its active terms (the
    /// intercept, numeric features, then one dummy per category feature; not in term order). Every column is reached through a plain pointer taken once, so the
    /// per-row work touches no reference counts.
    @inline(__always)
    func forEachRow(
        sampling: Int = 1, _ body: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Double>, Int, Double) -> Void
    ) {
        let indices = UnsafeMutablePointer<Int32>.allocate(capacity: activeLimit)
        let values = UnsafeMutablePointer<Double>.allocate(capacity: activeLimit)
        let dense = UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: max(denseValues.count, 1))
        let categorical = UnsafeMutablePointer<UnsafePointer<Int32>>.allocate(capacity: max(categoricalTerms.count, 1))
        defer {
            indices.deallocate()
            values.deallocate()
            dense.deallocate()
            categorical.deallocate()
        }
        for (i, column) in denseValues.enumerated() { dense[i] = column.pointer }
        let denseCount = denseValues.count
        let categoricalCount = categoricalTerms.count
        indices[0] = 0
        values[0] = 1
        let y = target.pointer
        withExtendedLifetime((denseValues, categoricalTerms)) {
            Self.withPointers(categoricalTerms, into: categorical) {
                denseTerms.withUnsafeBufferPointer { denseTerms in
                    selection.forEachUsedRow(sampling: sampling) { row in
                        var count = 1
                        for feature in 0..<denseCount {
                            indices[count] = denseTerms[feature]
                            values[count] = dense[feature][row]
                            count &+= 1
                        }
                        for feature in 0..<categoricalCount {
                            let term = categorical[feature][row]
                            if term >= 0 {
                                indices[count] = term
                                values[count] = 1
                                count &+= 1
                            }
                        }
                        body(indices, values, count, y[row])
                    }
                }
            }
        }
    }

    /// Fills `pointers` with the base address of each array, valid while `body` runs.
    private static func withPointers(
        _ arrays: [[Int32]], into pointers: UnsafeMutablePointer<UnsafePointer<Int32>>, _ body: () -> Void,
        from index: Int = 0
    ) {
        guard index < arrays.count else { return body() }
        arrays[index].withUnsafeBufferPointer { buffer in
            pointers[index] = buffer.baseAddress ?? UnsafePointer(bitPattern: 4)!
            withPointers(arrays, into: pointers, body, from: index + 1)
        }
    }
}
