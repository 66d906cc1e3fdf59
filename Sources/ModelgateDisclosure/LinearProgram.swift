import CClp

/// Bounded variables tied by equations (each a sum of some variables with coefficient 1), and the
/// least and greatest value each variable can take: what someone who knows the equations' totals
/// and the bounds can narrow a withheld cell to.
///
/// Solved by COIN-OR's Clp (simplex), one model per system; each question only changes the
/// objective, so every solve after the first starts from the previous optimal basis.
final class LinearProgram {
    /// An extreme of one variable, or why there is none.
    enum Extreme: Equatable {
        case value(Double)
        /// The variable can grow (or shrink) without bound.
        case unbounded
        /// The solver stopped without a proof either way; the caller must assume the worst.
        case unknown
    }

    /// Largest magnitude Clp treats as a bound; beyond it a bound is none.
    static let infinity = Double.greatestFiniteMagnitude

    private let model: UnsafeMutableRawPointer
    private let width: Int
    private var objective: [Double]
    private var solved = false

    /// - Parameters:
    ///   - lower, upper: each variable's bounds (`±infinity` for none).
    ///   - equations: for each equation, the variables it adds up.
    ///   - totals: each equation's total.
    init(lower: [Double], upper: [Double], equations: [[Int]], totals: [Double]) {
        precondition(lower.count == upper.count && equations.count == totals.count)
        width = lower.count
        objective = [Double](repeating: 0, count: width)
        guard let model = Clp_newModel() else { fatalError("Clp could not allocate a model") }
        self.model = model
        Clp_setLogLevel(model, 0)
        // Column-major sparse matrix: for each variable, the equations it appears in.
        var byVariable = [[Int32]](repeating: [], count: width)
        for (row, members) in equations.enumerated() {
            for variable in members { byVariable[variable].append(Int32(row)) }
        }
        var starts: [CoinBigIndex] = [0]
        var indices: [Int32] = []
        for rows in byVariable {
            indices.append(contentsOf: rows)
            starts.append(CoinBigIndex(indices.count))
        }
        let values = [Double](repeating: 1, count: indices.count)
        Clp_loadProblem(
            model, Int32(width), Int32(equations.count), starts, indices, values, lower, upper, objective, totals,
            totals)
    }

    deinit { Clp_deleteModel(model) }

    /// The least (`maximum == false`) or greatest value `variable` can take, and a solution that
    /// attains it (every variable's value), when there is one.
    func extreme(of variable: Int, maximum: Bool) -> (Extreme, [Double]?) {
        objective[variable] = 1
        Clp_chgObjCoefficients(model, objective)
        objective[variable] = 0
        Clp_setOptimizationDirection(model, maximum ? -1 : 1)
        // The first solve has no basis to start from (dual simplex suits that); later ones keep a
        // feasible basis and only the objective changed, which the primal simplex takes up.
        if solved { Clp_primal(model, 0) } else { Clp_dual(model, 0) }
        switch Clp_status(model) {
        case 0:
            solved = true
            let solution = Array(UnsafeBufferPointer(start: Clp_getColSolution(model), count: width))
            return (.value(solution[variable]), solution)
        case 2:
            solved = true
            return (.unbounded, nil)
        default:
            // Infeasible (the true table satisfies every equation, so only rounding gets here) or
            // stopped: start the next solve afresh.
            solved = false
            return (.unknown, nil)
        }
    }
}
