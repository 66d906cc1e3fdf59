import ModelgateCore

/// The regression design: an intercept, numeric features as they are, and category features
/// dummy-coded against their alphabetically first observed level (`district=Beibei`).
///
/// Rows are visited sparsely: a row has one active term per feature, so building XᵀX costs
/// O(features²) per row whatever the number of dummy terms.
struct DesignMatrix {
    static let intercept = "(intercept)"

    let terms: [String]
    let target: MeasureValues
    let selection: RowSelection
    private let dense: [(term: Int32, values: MeasureValues)]
    private let categorical: [(column: ColumnVector, termOfCode: [Int32])]

    var parameterCount: Int { terms.count }
    var nObservations: Int { selection.rowsUsed }
    /// The most terms one row can activate.
    var activeLimit: Int { 1 + dense.count + categorical.count }

    init(_ task: RegressionTask, plan: Plan, columns: ColumnSet, selection: RowSelection) throws(Refusal) {
        self.selection = selection
        target = MeasureValues(columns[task.target]!)
        var terms = [Self.intercept]
        var dense: [(Int32, MeasureValues)] = []
        var categorical: [(ColumnVector, [Int32])] = []
        for name in task.features {
            let column = columns[name]!
            guard case .codes = column.storage else {
                dense.append((Int32(terms.count), MeasureValues(column)))
                terms.append(name)
                continue
            }
            var seen = [Bool](repeating: false, count: column.levels.count)
            for row in 0..<selection.rowCount where selection.contains(row) { seen[column.code(at: row)] = true }
            let observed = seen.indices.filter { seen[$0] }
            var termOfCode = [Int32](repeating: -1, count: column.levels.count)
            // Levels are stored sorted, so the first observed code is the alphabetical baseline.
            for code in observed.dropFirst() {
                termOfCode[code] = Int32(terms.count)
                terms.append("\(name)=\(column.levels[code])")
            }
            categorical.append((column, termOfCode))
        }
        guard terms.count <= plan.maximumCells else {
            throw Refusal(.tooManyParameters, "the design has \(terms.count) terms; at most \(plan.maximumCells) are allowed")
        }
        self.terms = terms
        self.dense = dense
        self.categorical = categorical
    }

    /// Calls `body(indices, values, count, y)` for every used row with its active terms in
    /// ascending order.
    @inline(__always)
    func forEachRow(_ body: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Double>, Int, Double) -> Void) {
        let indices = UnsafeMutablePointer<Int32>.allocate(capacity: activeLimit)
        let values = UnsafeMutablePointer<Double>.allocate(capacity: activeLimit)
        defer {
            indices.deallocate()
            values.deallocate()
        }
        indices[0] = 0
        values[0] = 1
        let y = target.pointer
        for row in 0..<selection.rowCount where selection.contains(row) {
            var count = 1
            for feature in dense {
                indices[count] = feature.term
                values[count] = feature.values.pointer[row]
                count &+= 1
            }
            for feature in categorical {
                let term = feature.termOfCode[feature.column.code(at: row)]
                if term >= 0 {
                    indices[count] = term
                    values[count] = 1
                    count &+= 1
                }
            }
            body(indices, values, count, y[row])
        }
    }

    /// XᵀWX and XᵀWz over the used rows, where `weight(row η, y)` returns (w, z) — the
    /// weighted normal equations that both least squares (w = 1, z = y) and each Newton step of
    /// the logit need. Also returns the sum of `extra(η, y)` (the log-likelihood, say).
    func normalEquations(
        coefficients: [Double]?, _ weight: (Double, Double) -> (w: Double, z: Double, extra: Double)
    ) -> (gram: [Double], moment: [Double], extra: Double) {
        let p = parameterCount
        var gram = [Double](repeating: 0, count: p * p)
        var moment = [Double](repeating: 0, count: p)
        var extra = 0.0
        gram.withUnsafeMutableBufferPointer { gram in
            moment.withUnsafeMutableBufferPointer { moment in
                forEachRow { indices, values, count, y in
                    var eta = 0.0
                    if let coefficients {
                        for a in 0..<count { eta += coefficients[Int(indices[a])] * values[a] }
                    }
                    let (w, z, e) = weight(eta, y)
                    extra += e
                    for a in 0..<count {
                        let i = Int(indices[a])
                        let wx = w * values[a]
                        moment[i] += wx * z
                        let rowBase = i &* p
                        for b in a..<count { gram[rowBase &+ Int(indices[b])] += wx * values[b] }
                    }
                }
            }
        }
        for i in 0..<p {
            for j in 0..<i { gram[i * p + j] = gram[j * p + i] }
        }
        return (gram, moment, extra)
    }
}
