import ModelgateCore

extension OutputChecker {
    func check(_ table: RawTable) -> CheckedOutput {
        let measured = table.measure != nil && table.statistic != .count
        let suppression = suppress(
            shape: table.dimensions.map(\.levels.count), counts: table.cells.map(\.count),
            contributions: table.cells.map { measured ? $0.contributions : nil }, values: table.cells.map(\.value),
            countsRows: !measured)
        guard let (grid, hits) = suppression else { return unprotectable(measured: measured) }

        let keys = CellKeys(table.dimensions)
        let cells = table.cells.indices.map { index in
            let withheld = grid.rules[index] != nil
            return ReleasedCell(
                keys: keys.of(index), value: withheld ? nil : table.cells[index].value, suppressed: withheld)
        }
        let released = table.cells.indices.filter { grid.rules[$0] == nil }
        let totals = Margins(table: table, keys: keys).totals(over: released)
        let suppressed = grid.suppressedCount
        let report = DisclosureReport(
            verdict: suppressed == 0 ? .pass : .suppressed,
            rules: outcomes(hits, measured: measured, secondary: true), suppressedCells: suppressed)
        let output = ReleasedTable(
            dimensions: table.dimensions, measure: table.measure, statistic: table.statistic, cells: cells,
            totals: totals)
        return .released(.table(output), report)
    }
}

/// Maps a row-major cell index to its `{dimension: level}` keys.
struct CellKeys {
    let dimensions: [TableDimension]

    init(_ dimensions: [TableDimension]) { self.dimensions = dimensions }

    func coordinates(_ index: Int) -> [Int] {
        var rest = index
        var coordinates = [Int](repeating: 0, count: dimensions.count)
        for d in dimensions.indices.reversed() {
            coordinates[d] = rest % dimensions[d].levels.count
            rest /= dimensions[d].levels.count
        }
        return coordinates
    }

    func of(_ index: Int) -> [String: String] {
        let coordinates = coordinates(index)
        return Dictionary(
            uniqueKeysWithValues: dimensions.indices.map {
                (dimensions[$0].name, dimensions[$0].levels[coordinates[$0]])
            })
    }
}
