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
    private let denseTerms: [Int32]
    private let denseValues: [MeasureValues]
    /// Per categorical feature, each row's term (-1 for the baseline level).
    private let categoricalTerms: [[Int32]]

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
        stride: Int = 1, _ body: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Double>, Int, Double) -> Void
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
                    selection.forEachUsedRow(stride: stride) { row in
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

    /// XᵀWX and XᵀWz over the used rows (every `stride`-th of them), where `weight(row η, y)` returns (w, z) — the
    /// weighted normal equations that both least squares (w = 1, z = y) and each Newton step of
    /// the logit need. Also returns the sum of `extra(η, y)` (the log-likelihood, say).
    @inline(__always)
    func normalEquations(
        coefficients: [Double]?, stride: Int = 1,
        _ weight: (Double, Double) -> (w: Double, z: Double, extra: Double)
    ) -> (gram: [Double], moment: [Double], extra: Double) {
        let p = parameterCount
        var gram = [Double](repeating: 0, count: p * p)
        var moment = [Double](repeating: 0, count: p)
        var extra = 0.0
        let beta = coefficients ?? [Double](repeating: 0, count: p)
        gram.withUnsafeMutableBufferPointer { gram in
            moment.withUnsafeMutableBufferPointer { moment in
                beta.withUnsafeBufferPointer { beta in
                    forEachRow(stride: stride) { indices, values, count, y in
                        var eta = 0.0
                        for a in 0..<count { eta += beta[Int(indices[a])] * values[a] }
                        let (w, z, e) = weight(eta, y)
                        extra += e
                        for a in 0..<count {
                            let i = Int(indices[a])
                            let wx = w * values[a]
                            moment[i] += wx * z
                            // Into the upper triangle whatever the terms' order in the row.
                            for b in a..<count {
                                let j = Int(indices[b])
                                gram[i < j ? i &* p &+ j : j &* p &+ i] += wx * values[b]
                            }
                        }
                    }
                }
            }
        }
        for i in 0..<p {
            for j in 0..<i { gram[i * p + j] = gram[j * p + i] }
        }
        return (gram, moment, extra)
    }

    /// The largest leverage w·xᵀ(XᵀWX)⁻¹x over the used rows, given (XᵀWX)⁻¹ and each row's
    /// weight as a function of its linear predictor (1 for least squares).
    @inline(__always)
    func maximumLeverage(inverse: [Double], coefficients: [Double], weight: (Double) -> Double) -> Double {
        let p = parameterCount
        var largest = 0.0
        inverse.withUnsafeBufferPointer { inverse in
            coefficients.withUnsafeBufferPointer { beta in
                forEachRow { indices, values, count, _ in
                    var eta = 0.0
                    for a in 0..<count { eta += beta[Int(indices[a])] * values[a] }
                    // xᵀAx over the active terms, using A's symmetry: diagonal once, the rest twice.
                    var quadratic = 0.0
                    for a in 0..<count {
                        let rowBase = Int(indices[a]) &* p
                        var inner = 0.5 * inverse[rowBase &+ Int(indices[a])] * values[a]
                        for b in (a + 1)..<count { inner += inverse[rowBase &+ Int(indices[b])] * values[b] }
                        quadratic += 2 * values[a] * inner
                    }
                    largest = max(largest, weight(eta) * quadratic)
                }
            }
        }
        return largest
    }
}
