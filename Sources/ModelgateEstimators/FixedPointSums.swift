import ModelgateCore

/// Privacy mode dp: the sums a job's figures are made of (``PrivacyTerms/figureKinds(of:)``),
/// over whole quanta of clamped values (``FixedPoint``), exact, in every cell of a table or once.
///
/// No sum can overflow: a value is at most 10⁶ quanta and a product 10⁹ units, and a dataset has
/// fewer than 2³² rows (its row labels are `UInt32`); were one to, the worker would trap.
enum FixedPointSums {
    static func compute(_ plan: Plan, columns: ColumnSet, selection: RowSelection) throws(Refusal) -> RawSums {
        let kinds = PrivacyTerms.figureKinds(of: plan.task)
        var groups: [GroupColumn] = []
        if case .crosstab(let table) = plan.task {
            groups = table.dimensions.map {
                GroupColumn(name: $0, column: columns[$0]!, planned: plan.column(named: $0), selection: selection)
            }
        }
        let cellCount = groups.reduce(1) { $0 * $1.levels.count }
        guard cellCount > 0, cellCount <= plan.maximumCells else {
            throw Refusal(.tooManyCells, "the table would have \(cellCount) cells")
        }
        // Each measured column's used values in quanta, once, where a product needs them or the
        // column is not stored as numbers; a sum of a number column reads them as it goes.
        let multiplied = Set(
            kinds.flatMap { kind -> [String] in
                if case .product(let a, let b) = kind { return [a, b] }
                return []
            })
        var quanta: [String: [Int64]] = [:]
        var numbers: [String: (UnsafePointer<Double>, FixedPoint)] = [:]
        for planned in plan.columns {
            guard let point = planned.fixedPoint, let column = columns[planned.name] else { continue }
            if case .numbers(let values) = column.storage, !multiplied.contains(planned.name) {
                numbers[planned.name] = (values, point)
                continue
            }
            var values = [Int64](repeating: 0, count: selection.rowCount)
            values.withUnsafeMutableBufferPointer { values in
                if case .numbers(let numbers) = column.storage {
                    selection.forEachUsedRow { values[$0] = point.quanta(numbers[$0]) }
                } else {
                    selection.forEachUsedRow { values[$0] = point.quanta(column.double(at: $0)) }
                }
            }
            quanta[planned.name] = values
        }
        let index: CellIndex? = groups.isEmpty ? nil : CrosstabEstimator.cellIndex(groups, selection)
        let figures = kinds.map { kind -> [Int64] in
            var sums = [Int64](repeating: 0, count: cellCount)
            let term: Term
            switch kind {
            case .count: term = .count
            case .sum(let name):
                if let (values, point) = numbers[name] {
                    term = .numbers(values, point)
                } else {
                    term = .values(quanta[name]!)
                }
            case .product(let a, let b): term = .products(quanta[a]!, quanta[b]!)
            }
            sums.withUnsafeMutableBufferPointer { sums in
                switch index {
                case nil: add(OneCell(), term, selection, into: sums.baseAddress!)
                case .bytes(let codes): add(ByteCells(codes: codes), term, selection, into: sums.baseAddress!)
                case .bytePair(let first, let second, let width):
                    add(
                        BytePairCells(first: first, second: second, width: width), term, selection,
                        into: sums.baseAddress!)
                case .computed(let cells):
                    cells.withUnsafeBufferPointer {
                        add(ComputedCells(index: $0.baseAddress!), term, selection, into: sums.baseAddress!)
                    }
                }
            }
            return sums
        }
        return RawSums(
            dimensions: groups.map { TableDimension(name: $0.name, levels: $0.levels) }, figures: figures)
    }

    /// What each row adds to a figure.
    enum Term {
        case count
        /// A number column's values, read in quanta row by row.
        case numbers(UnsafePointer<Double>, FixedPoint)
        case values([Int64])
        case products([Int64], [Int64])
    }

    /// One pass over the used rows for one figure, specialised for the kind of cell index and
    /// of term (no per-row dynamic call).
    private static func add<L: CellLookup>(
        _ lookup: L, _ term: Term, _ selection: RowSelection, into sums: UnsafeMutablePointer<Int64>
    ) {
        switch term {
        case .count:
            selection.forEachUsedRow { sums[lookup.cell($0)] += 1 }
        case .numbers(let values, let point):
            selection.forEachUsedRow { sums[lookup.cell($0)] += point.quanta(values[$0]) }
        case .values(let values):
            values.withUnsafeBufferPointer { values in
                selection.forEachUsedRow { sums[lookup.cell($0)] += values[$0] }
            }
        case .products(let first, let second):
            first.withUnsafeBufferPointer { first in
                second.withUnsafeBufferPointer { second in
                    selection.forEachUsedRow { sums[lookup.cell($0)] += FixedPoint.product(first[$0], second[$0]) }
                }
            }
        }
    }
}

/// The one cell of a summary or a regression.
struct OneCell: CellLookup {
    @inline(__always) func cell(_ row: Int) -> Int { 0 }
}
