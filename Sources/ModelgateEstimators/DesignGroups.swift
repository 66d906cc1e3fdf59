import ModelgateCore

/// The groups of rows whose sizes a regression gives away, and how small the smallest is.
///
/// The released standard errors are the diagonal of σ²(XᵀX)⁻¹. When the design has few terms,
/// that diagonal, n and R² solve for XᵀX, whose entries for dummy-like variables (category
/// levels, booleans, an integer or number feature with at most three values in the selection) are one-way
/// and two-way counts; and a group the fit can single out gets its own mean. So each level of
/// a dummy-like variable, each value of an integer or number feature with up to ten values (released
/// through its moments), each two-way combination of variables with at most three levels,
/// and each outcome of a boolean target within any of these, is held to the threshold like a
/// table cell. Two-way combinations of many-level categories (district × education, say) are
/// not: their counts far outnumber the standard errors that would have to give them away.
///
/// The coefficients and XᵀX give each such group's sum of the target too (Xᵀy = XᵀX β), and of
/// every feature that is not a category (an entry of XᵀX), as a table of sums would: each
/// nonempty group's contributions of each of them, and the whole sample's, face a table cell's
/// group-disclosure and dominance rules (`contributions`).
struct DesignGroups {
    /// Fewest rows in a nonempty group; nil when the design has no group.
    var smallest: Int?
    /// Whether some group (a level, or a two-way combination) holds no row.
    var hasEmpty = false
    /// The contributions of the target and of each feature that is not a category, in the whole
    /// sample and in every nonempty group above but those its own values make.
    private(set) var contributions: [Contributions] = []

    /// Integer features with at most this many values in the selection count as dummy-like.
    static let dummyLikeLimit = 3
    /// Integer features with at most this many values have their value counts checked.
    static let fewValuesLimit = 10

    /// Each row's level of one grouping variable.
    struct Variable {
        let levels: Int
        let codes: [Int32]
    }

    /// - Parameter measures: the target and every feature that is not a category, with their
    ///   values: each one's sum within every group the fit gives away.
    init(
        features: [String], target: String, measures: [(name: String, values: MeasureValues)], columns: ColumnSet,
        selection: RowSelection
    ) {
        var dummyLike: [Variable] = []
        var fewValued: [Variable] = []
        var dummyLikeNames: [String] = []
        var fewValuedNames: [String] = []
        // A target with few values (a boolean, or an integer with at most three values in the
        // selection) is an outcome: it is listed first, and every group is split by it.
        var hasOutcome = false
        for name in [target] + features {
            guard let column = columns[name] else { continue }
            let isTarget = name == target
            switch column.storage {
            case .codes where !isTarget:
                dummyLike.append(Self.variable(column, levels: column.levels.count, selection))
                dummyLikeNames.append(name)
            case .booleans:
                dummyLike.append(Self.variable(column, levels: 2, selection))
                dummyLikeNames.append(name)
                hasOutcome = hasOutcome || isTarget
            // A number column with few values (a 0/1 stored as a number, say) sets groups apart as
            // an integer one does.
            case .integers, .numbers:
                guard let variable = Self.valuesVariable(column, selection) else { continue }
                if variable.levels <= Self.dummyLikeLimit {
                    dummyLike.append(variable)
                    dummyLikeNames.append(name)
                    hasOutcome = hasOutcome || isTarget
                } else if !isTarget {
                    fewValued.append(variable)
                    fewValuedNames.append(name)
                }
            default: continue
            }
        }
        variables = dummyLike + fewValued
        self.hasOutcome = hasOutcome
        revealed = [[]] + variables.indices.map { [$0] }
        let small = dummyLike.indices.filter { dummyLike[$0].levels <= Self.dummyLikeLimit }
        for (i, first) in small.enumerated() {
            for second in small[(i + 1)...] { revealed.append([first, second]) }
        }
        // With an outcome (listed first), each group's outcomes.
        if hasOutcome, !dummyLike.isEmpty {
            for index in variables.indices.dropFirst() where variables[index].levels > Self.dummyLikeLimit {
                revealed.append([0, index])
            }
        }
        // Each measure's sums within the groups of every combination but those its own values make
        // (whose rows share its value by construction): the target's within each group, and a
        // feature's within each outcome of the target, say (XᵀX holds them).
        let names = dummyLikeNames + fewValuedNames
        let kept = measures.map { measure in
            let own = names.firstIndex(of: measure.name)
            return revealed.indices.filter { combination in own.map { !revealed[combination].contains($0) } ?? true }
        }
        let (counts, sums) = Self.tabulate(
            revealed.map { $0.map { variables[$0] } }, measures: measures.map(\.values), kept: kept, selection)
        for combination in revealed.indices.dropFirst() { record(counts[combination]) }
        for (index, measure) in measures.enumerated() {
            for (slot, combination) in kept[index].enumerated() {
                let (cells, sums) = (counts[combination], sums[index][slot])
                contributions += cells.indices.filter { cells[$0] > 0 }.map {
                    Contributions(
                        count: cells[$0], absoluteSum: sums.absolute[$0], largest: sums.top.largest(cell: $0),
                        isBinary: measure.values.isBoolean)
                }
            }
        }
    }

    /// The grouping variables, and which of their one- and two-way combinations the fit reveals
    /// (indices into `variables`; `[]` is the whole estimation sample), for the release ledger.
    let variables: [Variable]
    private(set) var revealed: [[Int]] = []
    /// Whether `variables[0]` is the target's outcome.
    private let hasOutcome: Bool

    /// Labels each used row by its level on every grouping variable but the outcome (see
    /// ``RowLabels``): the ledger takes what the fit reveals of an outcome within a group as a
    /// figure over the group, as it does a table's measure.
    func label(_ selection: RowSelection, into labels: UnsafeMutablePointer<UInt32>) throws(Refusal) -> RowLabels {
        let skipped = hasOutcome ? 1 : 0
        let variables = Array(variables.dropFirst(skipped))
        var revealed: [[Int]] = []
        for combination in self.revealed {
            let kept = combination.filter { $0 >= skipped }.map { $0 - skipped }
            if !revealed.contains(kept) { revealed.append(kept) }
        }
        let radices = variables.map { max($0.levels, 1) }
        guard RowLabels.fits(radices) else {
            throw Refusal(
                .tooManyParameters, "the regression's grouping variables have too many combinations to keep track of")
        }
        let codes = variables.map(\.codes)
        selection.writeLabels(into: labels) { row in
            var key = 0
            for (variable, radix) in zip(codes, radices) { key = key &* radix &+ Int(variable[row]) }
            return key
        }
        return RowLabels(radices: radices, revealed: revealed)
    }

    private mutating func record(_ counts: [Int]) {
        if counts.contains(0) { hasEmpty = true }
        if let least = counts.filter({ $0 > 0 }).min() { smallest = min(smallest ?? least, least) }
    }

    private static func variable(_ column: ColumnVector, levels: Int, _ selection: RowSelection) -> Variable {
        let codes = [Int32](unsafeUninitializedCapacity: column.count) { codes, initialized in
            if let base = codes.baseAddress { column.copyCodes(into: base) }
            initialized = column.count
        }
        return Variable(levels: levels, codes: codes)
    }

    /// An integer column as a variable whose levels are its distinct values in the selection, in
    /// order of first appearance; nil when there are more than `fewValuesLimit` of them.
    private static func valuesVariable(_ column: ColumnVector, _ selection: RowSelection) -> Variable? {
        switch column.storage {
        case .integers(let base, 1): return smallIntegerVariable(base.assumingMemoryBound(to: Int8.self), selection)
        case .integers(let base, 2): return smallIntegerVariable(base.assumingMemoryBound(to: Int16.self), selection)
        default: return searchedVariable(column, selection)
        }
    }

    /// ``valuesVariable(_:_:)`` for one- or two-byte integers: each value's level is looked up in
    /// a table indexed by the value's bits, instead of searched for.
    private static func smallIntegerVariable<T: FixedWidthInteger>(
        _ values: UnsafePointer<T>, _ selection: RowSelection
    )
        -> Variable?
    {
        var levelOf = [Int8](repeating: -1, count: 1 << T.bitWidth)
        var levels = 0
        var complete = true
        let codes = [Int32](unsafeUninitializedCapacity: selection.rowCount) { codes, initialized in
            levelOf.withUnsafeMutableBufferPointer { levelOf in
                let bits = levelOf.count - 1
                selection.forEachRow { row, used in
                    guard used else {
                        codes[row] = 0
                        return true
                    }
                    let index = Int(truncatingIfNeeded: values[row]) & bits
                    if levelOf[index] < 0 {
                        guard levels < fewValuesLimit else {
                            complete = false
                            return false
                        }
                        levelOf[index] = Int8(levels)
                        levels += 1
                    }
                    codes[row] = Int32(levelOf[index])
                    return true
                }
            }
            initialized = complete ? selection.rowCount : 0
        }
        return complete ? Variable(levels: levels, codes: codes) : nil
    }

    /// ``valuesVariable(_:_:)`` for any numeric column, by a linear search of the values met.
    private static func searchedVariable(_ column: ColumnVector, _ selection: RowSelection) -> Variable? {
        // One pass, stopping at one value too many (most measures have many more): at most a
        // handful of values, so a linear scan beats hashing every row. The codes are not cleared
        // first; every row gets one (0 for a row not used), unless the pass stops.
        var values: [Double] = []
        var complete = true
        let codes = [Int32](unsafeUninitializedCapacity: selection.rowCount) { codes, initialized in
            selection.forEachRow { row, used in
                guard used else {
                    codes[row] = 0
                    return true
                }
                let value = column.double(at: row)
                var slot = 0
                while slot < values.count && values[slot] != value { slot += 1 }
                if slot == values.count {
                    guard values.count < fewValuesLimit else {
                        complete = false
                        return false
                    }
                    values.append(value)
                }
                codes[row] = Int32(slot)
                return true
            }
            // Only what was written counts as initialized; a stopped pass is thrown away.
            initialized = complete ? selection.rowCount : 0
        }
        return complete ? Variable(levels: values.count, codes: codes) : nil
    }

    /// Each measure's absolute sum and largest contributions in one combination's groups.
    struct Sums {
        var absolute: [Double]
        var top: TopContributions
    }

    /// One pass over the rows per combination of variables (the whole sample for none, each level
    /// for one, each pair of levels for two), through plain pointers: the used rows in each of its
    /// groups, and the sums of every measure kept for it (`kept[m]` lists measure m's combinations;
    /// `sums[m]` follows that list). A row's group is its first level times the second's width
    /// plus its second level.
    private static func tabulate(
        _ combinations: [[Variable]], measures: [MeasureValues], kept: [[Int]], _ selection: RowSelection
    ) -> (counts: [[Int]], sums: [[Sums]]) {
        let k = TopContributions.k
        var counts: [[Int]] = []
        var sums = measures.map { _ in [Sums]() }
        for (index, combination) in combinations.enumerated() {
            let cells = combination.reduce(1) { $0 * $1.levels }
            let width = combination.count > 1 ? combination[1].levels : 1
            let taking = measures.indices.filter { kept[$0].contains(index) }
            let values = taking.map { measures[$0].pointer }
            var count = [Int](repeating: 0, count: cells)
            // Each taken measure's sums, then its top slots (descending, -1 when empty), side by side.
            let absolute = UnsafeMutablePointer<Double>.allocate(capacity: max(taking.count * cells, 1))
            let top = UnsafeMutablePointer<Double>.allocate(capacity: max(taking.count * cells * k, 1))
            defer {
                absolute.deallocate()
                top.deallocate()
            }
            absolute.initialize(repeating: 0, count: taking.count * cells)
            top.initialize(repeating: -1, count: taking.count * cells * k)
            withExtendedLifetime(measures) {
                withPointers(combination.map(\.codes)) { codes in
                    count.withUnsafeMutableBufferPointer { count in
                        let first = codes.first ?? nil
                        let second = codes.count > 1 ? codes[1] : nil
                        selection.forEachUsedRow { row in
                            var cell = 0
                            if let first { cell = Int(first[row]) &* width }
                            if let second { cell &+= Int(second[row]) }
                            count[cell] &+= 1
                            for m in values.indices {
                                let magnitude = abs(values[m][row])
                                absolute[m &* cells &+ cell] += magnitude
                                let slots = top + (m &* cells &+ cell) &* k
                                if magnitude > slots[k &- 1] { TopContributions.insert(magnitude, into: slots) }
                            }
                        }
                    }
                }
            }
            counts.append(count)
            for (slot, measure) in taking.enumerated() {
                var kept = TopContributions(cells: cells)
                kept.slots = Array(UnsafeBufferPointer(start: top + slot * cells * k, count: cells * k))
                sums[measure].append(
                    Sums(absolute: Array(UnsafeBufferPointer(start: absolute + slot * cells, count: cells)), top: kept))
            }
        }
        return (counts, sums)
    }

    /// Each array's base address (nil for an empty one) for the duration of `body`.
    private static func withPointers<R>(_ arrays: [[Int32]], _ body: ([UnsafePointer<Int32>?]) -> R) -> R {
        var pointers: [UnsafePointer<Int32>?] = []
        func next(_ index: Int) -> R {
            guard index < arrays.count else { return body(pointers) }
            return arrays[index].withUnsafeBufferPointer { buffer in
                pointers.append(buffer.isEmpty ? nil : buffer.baseAddress)
                return next(index + 1)
            }
        }
        return next(0)
    }
}
