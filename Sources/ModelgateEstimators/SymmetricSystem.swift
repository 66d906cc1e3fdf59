/// A symmetric positive-definite system `A x = b`, solved by Cholesky factorisation after
/// scaling A to unit diagonal (which keeps columns of very different magnitude, like income
/// and an intercept, from wrecking the factorisation). Hand-written: the systems are small
/// (p ≤ a few hundred) and no linear-algebra package is available to a Swift target here.
package struct SymmetricSystem {
    let size: Int
    /// Lower-triangular Cholesky factor of the scaled matrix, row-major.
    private var factor: [Double]
    /// 1 / sqrt(A[i][i]).
    private var scale: [Double]

    /// Factorises `matrix` (row-major, `size`×`size`, symmetric); nil when it is not positive
    /// definite to working precision (a rank-deficient design).
    package init?(matrix: [Double], size: Int) {
        self.size = size
        scale = (0..<size).map { matrix[$0 * size + $0] > 0 ? 1 / matrix[$0 * size + $0].squareRoot() : 0 }
        guard !scale.contains(0) else { return nil }
        factor = [Double](repeating: 0, count: size * size)
        for i in 0..<size {
            for j in 0...i {
                var sum = matrix[i * size + j] * scale[i] * scale[j]
                for k in 0..<j { sum -= factor[i * size + k] * factor[j * size + k] }
                if i == j {
                    // A pivot this small means a column is (nearly) a combination of others.
                    guard sum > 1e-10 else { return nil }
                    factor[i * size + i] = sum.squareRoot()
                } else {
                    factor[i * size + j] = sum / factor[j * size + j]
                }
            }
        }
    }

    package func solve(_ b: [Double]) -> [Double] {
        var y = (0..<size).map { b[$0] * scale[$0] }
        for i in 0..<size {
            for k in 0..<i { y[i] -= factor[i * size + k] * y[k] }
            y[i] /= factor[i * size + i]
        }
        for i in stride(from: size - 1, through: 0, by: -1) {
            for k in (i + 1)..<size { y[i] -= factor[k * size + i] * y[k] }
            y[i] /= factor[i * size + i]
        }
        return (0..<size).map { y[$0] * scale[$0] }
    }

    /// A⁻¹, row-major.
    func inverse() -> [Double] {
        var result = [Double](repeating: 0, count: size * size)
        for column in 0..<size {
            var unit = [Double](repeating: 0, count: size)
            unit[column] = 1
            for (row, value) in solve(unit).enumerated() { result[row * size + column] = value }
        }
        return result
    }
}
