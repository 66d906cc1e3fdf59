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
        var quanta: [String: [Int64]] = [:]
        for planned in plan.columns {
            guard let point = planned.fixedPoint, let column = columns[planned.name] else { continue }
            var values = [Int64](repeating: 0, count: selection.rowCount)
            selection.forEachUsedRow { values[$0] = point.quanta(column.double(at: $0)) }
            quanta[planned.name] = values
        }
        // Each figure as what one row adds to it.
        let terms: [(Int) -> Int64] = kinds.map { kind in
            switch kind {
            case .count: return { _ in 1 }
            case .sum(let name):
                let values = quanta[name]!
                return { values[$0] }
            case .product(let a, let b):
                let (x, y) = (quanta[a]!, quanta[b]!)
                return { FixedPoint.product(x[$0], y[$0]) }
            }
        }
        var figures = [[Int64]](repeating: [Int64](repeating: 0, count: cellCount), count: kinds.count)
        func add(row: Int, cell: Int) {
            for (figure, term) in terms.enumerated() { figures[figure][cell] += term(row) }
        }
        if groups.isEmpty {
            selection.forEachUsedRow { add(row: $0, cell: 0) }
        } else {
            CrosstabEstimator.cellIndex(groups, selection).withLookup { lookup in
                selection.forEachUsedRow { add(row: $0, cell: lookup.cell($0)) }
            }
        }
        return RawSums(
            dimensions: groups.map { TableDimension(name: $0.name, levels: $0.levels) }, figures: figures)
    }
}
