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
        if categoricalTerms.isEmpty && p <= 4 {
            return denseNormalEquations(SIMD4<Double>.self, coefficients: coefficients, stride: stride, weight)
        }
        if categoricalTerms.isEmpty && p <= 8 {
            return denseNormalEquations(SIMD8<Double>.self, coefficients: coefficients, stride: stride, weight)
        }
        return sparseNormalEquations(coefficients: coefficients, stride: stride, weight)
    }

    /// ``normalEquations(coefficients:stride:_:)`` by the sparse row visit, whatever the design;
    /// the dense loops are checked against it.
    @inline(__always)
    func sparseNormalEquations(
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

    /// Each used row's terms as one vector (the intercept, then the numeric features in term order,
    /// zeros after the last term), when every feature is numeric and there are at most
    /// `V.scalarCount` terms. Every row then has every term, so the passes below need no index
    /// indirection, and their few accumulators stay in registers as whole vectors.
    @inline(__always)
    private func forEachDenseRow<V: SIMD>(_: V.Type, stride: Int, _ body: (V, Double) -> Void)
    where V.Scalar == Double {
        let featureCount = denseValues.count
        // Lanes past the last term read the one zero below (at row 0, by a mask of 0): no branch.
        let zero = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        zero.initialize(to: 0)
        defer { zero.deallocate() }
        var columns = [UnsafePointer<Double>](repeating: UnsafePointer(zero), count: V.scalarCount)
        var masks = [Int](repeating: 0, count: V.scalarCount)
        for feature in 0..<featureCount {
            columns[feature + 1] = denseValues[feature].pointer
            masks[feature + 1] = -1
        }
        let y = target.pointer
        withExtendedLifetime(denseValues) {
            columns.withUnsafeBufferPointer { columns in
                masks.withUnsafeBufferPointer { masks in
                    selection.forEachUsedRow(stride: stride) { row in
                        var x = V()
                        x[0] = 1
                        for lane in 1..<V.scalarCount { x[lane] = columns[lane][row & masks[lane]] }
                        body(x, y[row])
                    }
                }
            }
        }
    }

    /// ``normalEquations(coefficients:stride:_:)`` for a design of numeric features only: the
    /// rows of XᵀWX accumulate as vectors, `w·xᵢ·x` for each term i.
    @inline(__always)
    private func denseNormalEquations<V: SIMD>(
        _ vector: V.Type, coefficients: [Double]?, stride: Int,
        _ weight: (Double, Double) -> (w: Double, z: Double, extra: Double)
    ) -> (gram: [Double], moment: [Double], extra: Double) where V.Scalar == Double {
        let p = parameterCount
        var beta = V()
        for i in 0..<p { beta[i] = coefficients?[i] ?? 0 }
        var rows = [V](repeating: V(), count: V.scalarCount)
        var moment = V()
        var extra = 0.0
        rows.withUnsafeMutableBufferPointer { rows in
            // Named accumulators (two or four per vector), not the buffer, in the row loop: the
            // compiler keeps them in registers; lanes past the last term stay zero.
            var (g0, g1, g2, g3, g4, g5, g6, g7) = (V(), V(), V(), V(), V(), V(), V(), V())
            forEachDenseRow(vector, stride: stride) { x, y in
                let eta = (beta * x).sum()
                let (w, z, e) = weight(eta, y)
                extra += e
                let wx = w * x
                moment += wx * z
                g0 += wx[0] * x
                g1 += wx[1] * x
                g2 += wx[2] * x
                g3 += wx[3] * x
                if V.scalarCount > 4 {
                    g4 += wx[4] * x
                    g5 += wx[5] * x
                    g6 += wx[6] * x
                    g7 += wx[7] * x
                }
            }
            (rows[0], rows[1], rows[2], rows[3]) = (g0, g1, g2, g3)
            if V.scalarCount > 4 { (rows[4], rows[5], rows[6], rows[7]) = (g4, g5, g6, g7) }
        }
        var gram = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in 0..<p { gram[i * p + j] = rows[i][j] }
        }
        return (gram, (0..<p).map { moment[$0] }, extra)
    }

    /// The largest leverage w·xᵀ(XᵀWX)⁻¹x over the used rows, given (XᵀWX)⁻¹ and each row's
    /// weight as a function of its linear predictor (1 for least squares).
    @inline(__always)
    func maximumLeverage(inverse: [Double], coefficients: [Double], weight: (Double) -> Double) -> Double {
        let p = parameterCount
        if categoricalTerms.isEmpty && p <= 4 {
            return denseMaximumLeverage(SIMD4<Double>.self, inverse: inverse, coefficients: coefficients, weight)
        }
        if categoricalTerms.isEmpty && p <= 8 {
            return denseMaximumLeverage(SIMD8<Double>.self, inverse: inverse, coefficients: coefficients, weight)
        }
        return sparseMaximumLeverage(inverse: inverse, coefficients: coefficients, weight: weight)
    }

    /// ``maximumLeverage(inverse:coefficients:weight:)`` for a design of numeric features only:
    /// xᵀAx as x·(Ax), with A's rows as vectors.
    @inline(__always)
    private func denseMaximumLeverage<V: SIMD>(
        _ vector: V.Type, inverse: [Double], coefficients: [Double], _ weight: (Double) -> Double
    ) -> Double where V.Scalar == Double {
        let p = parameterCount
        var beta = V()
        var a = [V](repeating: V(), count: V.scalarCount)
        for i in 0..<p {
            beta[i] = coefficients[i]
            for j in 0..<p { a[i][j] = inverse[i * p + j] }
        }
        let (a0, a1, a2, a3) = (a[0], a[1], a[2], a[3])
        let (a4, a5, a6, a7) = V.scalarCount > 4 ? (a[4], a[5], a[6], a[7]) : (V(), V(), V(), V())
        var largest = 0.0
        forEachDenseRow(vector, stride: 1) { x, _ in
            let eta = (beta * x).sum()
            var ax: V = x[0] * a0
            ax += x[1] * a1
            ax += x[2] * a2
            ax += x[3] * a3
            if V.scalarCount > 4 {
                ax += x[4] * a4
                ax += x[5] * a5
                ax += x[6] * a6
                ax += x[7] * a7
            }
            largest = max(largest, weight(eta) * (x * ax).sum())
        }
        return largest
    }

    /// ``maximumLeverage(inverse:coefficients:weight:)`` by the sparse row visit, whatever the design.
    @inline(__always)
    func sparseMaximumLeverage(inverse: [Double], coefficients: [Double], weight: (Double) -> Double) -> Double {
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
