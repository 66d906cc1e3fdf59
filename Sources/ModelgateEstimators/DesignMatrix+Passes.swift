/// The passes over the rows a fit makes: the weighted normal equations and the largest leverage.
///
/// Rows go by in blocks (``WeighedRows``): each block's linear predictors first, then its weights
/// from the model, four rows at a time, then the sums. A design of numeric features only is
/// summed column by column, every feature's values of the block side by side, so that every sum
/// runs over four rows at once; a design with category features visits each row's few active
/// terms (``DesignMatrix/forEachRow(sampling:_:)``).
extension DesignMatrix {
    /// XᵀWX and XᵀWz over the used rows (of every `sampling`-th block of them, see
    /// ``RowSelection/sampledBlocks(_:)``), the weighted normal equations
    /// that both least squares (w = 1, z = y) and each Newton step of the logit need, with `weigh`
    /// giving the weights at `coefficients` (zero when nil).
    func normalEquations(coefficients: [Double]?, sampling: Int = 1, _ weigh: RowWeighting)
        -> (gram: [Double], moment: [Double])
    {
        let p = parameterCount
        var gram = [Double](repeating: 0, count: p * p)
        var moment = [Double](repeating: 0, count: p)
        let beta = coefficients ?? [Double](repeating: 0, count: p)
        gram.withUnsafeMutableBufferPointer { gram in
            moment.withUnsafeMutableBufferPointer { moment in
                if categoricalTerms.isEmpty {
                    let product = UnsafeMutablePointer<Double>.allocate(capacity: WeighedRows.capacity)
                    defer { product.deallocate() }
                    forEachDenseBlock(beta, sampling: sampling, weigh, total: false) { rows, x in
                        let padded = rows.padded
                        // The intercept's row and moment are plain sums (its values are ones).
                        var (weights, responses) = (SIMD4<Double>(), SIMD4<Double>())
                        for i in Swift.stride(from: 0, to: padded, by: 4) {
                            weights += rows.w.vector(at: i)
                            responses += rows.wz.vector(at: i)
                        }
                        gram[0] += weights.sum()
                        moment[0] += responses.sum()
                        for a in 1..<p {
                            // w·xₐ once, with its sum (the intercept's entry) and the moment on the
                            // way; then its sums with xᵦ for every term b from a on.
                            var (sum, response) = (SIMD4<Double>(), SIMD4<Double>())
                            for i in Swift.stride(from: 0, to: padded, by: 4) {
                                let value = x[a].vector(at: i)
                                let weighted = rows.w.vector(at: i) * value
                                product.store(weighted, at: i)
                                sum += weighted
                                response += rows.wz.vector(at: i) * value
                            }
                            gram[a] += sum.sum()
                            moment[a] += response.sum()
                            for b in a..<p { gram[a &* p &+ b] += Self.dot(UnsafePointer(product), x[b], padded) }
                        }
                    }
                } else {
                    forEachSparseBlock(beta, sampling: sampling, weigh, total: false) { rows, terms in
                        for row in 0..<rows.count {
                            let (indices, values, count) = terms(row)
                            let (w, wz) = (rows.w[row], rows.wz[row])
                            for a in 0..<count {
                                let i = Int(indices[a])
                                let wx = w * values[a]
                                moment[i] += wz * values[a]
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
        }
        for i in 0..<p {
            for j in 0..<i { gram[i * p + j] = gram[j * p + i] }
        }
        return (gram, moment)
    }

    /// The largest leverage w·xᵀ(XᵀWX)⁻¹x over the used rows, given (XᵀWX)⁻¹ and the weights at
    /// `coefficients`; the total `weigh` returns over them (the log-likelihood there); and
    /// Σ w·q^(3/2) with q = xᵀ(XᵀWX)⁻¹x, which bounds how far XᵀWX moves with the coefficients
    /// (see ``LogisticRegression``).
    func maximumLeverage(inverse: [Double], coefficients: [Double], _ weigh: RowWeighting)
        -> (leverage: Double, total: Double, sensitivity: Double)
    {
        let p = parameterCount
        var largest = 0.0
        var total = 0.0
        var sensitivity = 0.0
        // xᵀAx with A symmetric: the diagonal once, each pair above it twice.
        var twice = inverse
        for i in 0..<p {
            for j in 0..<p where j != i { twice[i * p + j] *= 2 }
        }
        twice.withUnsafeBufferPointer { twice in
            if categoricalTerms.isEmpty {
                total = forEachDenseBlock(coefficients, sampling: 1, weigh, total: true) { rows, x in
                    var (most, spread) = (SIMD4<Double>(), SIMD4<Double>())
                    // Four rows at a time, the quadratic form in a register; xᵀAx with x₀ = 1 is
                    // A₀₀ + Σₐ xₐ(2A₀ₐ + Σ_{b≥a} A'ₐᵦxᵦ), A' the doubled A.
                    for i in Swift.stride(from: 0, to: rows.padded, by: 4) {
                        var quadratic = SIMD4<Double>(repeating: twice[0])
                        for a in 1..<p {
                            let base = a &* p
                            var inner = SIMD4<Double>(repeating: twice[a])
                            for b in a..<p { inner += twice[base &+ b] * x[b].vector(at: i) }
                            quadratic += x[a].vector(at: i) * inner
                        }
                        quadratic.replace(with: 0, where: quadratic .< 0)
                        let leverage = rows.w.vector(at: i) * quadratic
                        most = most.replacing(with: leverage, where: leverage .> most)
                        spread += leverage * quadratic.squareRoot()
                    }
                    largest = max(largest, most.max())
                    sensitivity += spread.sum()
                }
            } else {
                total = forEachSparseBlock(coefficients, sampling: 1, weigh, total: true) { rows, terms in
                    for row in 0..<rows.count {
                        let (indices, values, count) = terms(row)
                        var quadratic = 0.0
                        for a in 0..<count {
                            let base = Int(indices[a]) &* p
                            for b in a..<count { quadratic += twice[base &+ Int(indices[b])] * values[a] * values[b] }
                        }
                        quadratic = max(quadratic, 0)
                        largest = max(largest, rows.w[row] * quadratic)
                        sensitivity += rows.w[row] * quadratic * quadratic.squareRoot()
                    }
                }
            }
        }
        return (largest, total, sensitivity)
    }

    /// Σ aᵢbᵢ over `count` entries (a multiple of eight), with two accumulators.
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var (even, odd) = (SIMD4<Double>(), SIMD4<Double>())
        for i in Swift.stride(from: 0, to: count, by: 8) {
            even += a.vector(at: i) * b.vector(at: i)
            odd += a.vector(at: i + 4) * b.vector(at: i + 4)
        }
        return (even + odd).sum()
    }

    /// Calls `body` with each block of used rows (of every `sampling`-th block) of a design of numeric
    /// features only, weighed by `weigh` at `coefficients` (the padding's weights zero), and each
    /// term's values over the block (the intercept's ones first), each over ``WeighedRows/padded``
    /// entries; returns the sum of what `weigh` returned (with `total`). Where every row is used, a
    /// whole block reads the columns where they lie; otherwise its rows are copied side by side first.
    @discardableResult
    private func forEachDenseBlock(
        _ coefficients: [Double], sampling: Int, _ weigh: RowWeighting, total: Bool,
        _ body: (WeighedRows, UnsafePointer<UnsafePointer<Double>>) -> Void
    ) -> Double {
        let p = parameterCount
        let capacity = WeighedRows.capacity
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: (p + 4) * capacity)
        let used = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
        let x = UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: p)
        defer {
            scratch.deallocate()
            used.deallocate()
            x.deallocate()
        }
        scratch.initialize(repeating: 0, count: (p + 4) * capacity)
        // Scratch: each term's copied values (the first, the intercept's, all ones), then η, y, w, w·z.
        scratch.initialize(repeating: 1, count: capacity)
        let (etas, copiedY, w, wz) = (
            scratch + p * capacity, scratch + (p + 1) * capacity, scratch + (p + 2) * capacity,
            scratch + (p + 3) * capacity
        )
        let columns = denseValues.map(\.pointer)
        let target = target.pointer
        var sum = 0.0
        func visit(_ count: Int, y: UnsafePointer<Double>) {
            let padded = WeighedRows.padded(count)
            for i in Swift.stride(from: 0, to: padded, by: 4) {
                var eta = SIMD4<Double>(repeating: coefficients[0])
                for a in 1..<p { eta += coefficients[a] * x[a].vector(at: i) }
                etas.store(eta, at: i)
            }
            let rows = WeighedRows(count: count, eta: etas, y: y, w: w, wz: wz)
            sum += weigh(rows, total)
            rows.clearPadding()
            body(rows, x)
        }
        /// The `count` rows in `used`, copied; the padding after them zero.
        func copied(_ count: Int) {
            x[0] = UnsafePointer(scratch)
            for a in 1..<p {
                let copy = scratch + a * capacity
                let column = columns[a - 1]
                for i in 0..<count { copy[i] = column[used[i]] }
                for i in count..<WeighedRows.padded(count) { copy[i] = 0 }
                x[a] = UnsafePointer(copy)
            }
            for i in 0..<count { copiedY[i] = target[used[i]] }
            for i in count..<WeighedRows.padded(count) { copiedY[i] = 0 }
            visit(count, y: copiedY)
        }
        withExtendedLifetime(denseValues) {
            if selection.mask == nil {
                for rows in selection.sampledBlocks(sampling) {
                    for start in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: capacity) {
                        let count = min(capacity, rows.upperBound - start)
                        guard count == capacity else {
                            for i in 0..<count { used[i] = start + i }
                            copied(count)
                            continue
                        }
                        x[0] = UnsafePointer(scratch)
                        for a in 1..<p { x[a] = columns[a - 1] + start }
                        visit(count, y: target + start)
                    }
                }
                return
            }
            var count = 0
            selection.forEachUsedRow(sampling: sampling) { row in
                used[count] = row
                count &+= 1
                if count == capacity {
                    copied(count)
                    count = 0
                }
            }
            if count > 0 { copied(count) }
        }
        return sum
    }

    /// Calls `body` with each block of used rows (of every `sampling`-th block), weighed by `weigh`
    /// at `coefficients`, and, for each row of it, its active terms' indices and values and how
    /// many there are; returns the sum of what `weigh` returned (with `total`).
    @discardableResult
    private func forEachSparseBlock(
        _ coefficients: [Double], sampling: Int, _ weigh: RowWeighting, total: Bool,
        _ body: (WeighedRows, (Int) -> (UnsafePointer<Int32>, UnsafePointer<Double>, Int)) -> Void
    ) -> Double {
        let capacity = WeighedRows.capacity
        let width = activeLimit
        let indices = UnsafeMutablePointer<Int32>.allocate(capacity: capacity * width)
        let values = UnsafeMutablePointer<Double>.allocate(capacity: capacity * width)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 4 * capacity)
        defer {
            indices.deallocate()
            values.deallocate()
            counts.deallocate()
            scratch.deallocate()
        }
        scratch.initialize(repeating: 0, count: 4 * capacity)
        let (eta, y, w, wz) = (scratch, scratch + capacity, scratch + 2 * capacity, scratch + 3 * capacity)
        func terms(_ row: Int) -> (UnsafePointer<Int32>, UnsafePointer<Double>, Int) {
            (UnsafePointer(indices + row * width), UnsafePointer(values + row * width), counts[row])
        }
        var sum = 0.0
        func flush(_ count: Int) {
            for i in count..<WeighedRows.padded(count) { (eta[i], y[i]) = (0, 0) }
            let rows = WeighedRows(count: count, eta: eta, y: y, w: w, wz: wz)
            sum += weigh(rows, total)
            body(rows, terms)
        }
        var count = 0
        coefficients.withUnsafeBufferPointer { beta in
            forEachRow(sampling: sampling) { rowIndices, rowValues, active, outcome in
                var sum = 0.0
                let (slotIndices, slotValues) = (indices + count * width, values + count * width)
                for a in 0..<active {
                    sum += beta[Int(rowIndices[a])] * rowValues[a]
                    slotIndices[a] = rowIndices[a]
                    slotValues[a] = rowValues[a]
                }
                (eta[count], y[count], counts[count]) = (sum, outcome, active)
                count &+= 1
                if count == capacity {
                    flush(count)
                    count = 0
                }
            }
        }
        if count > 0 { flush(count) }
        return sum
    }
}
