import ModelgateCore

extension OutputChecker {
    func check(_ table: RawTable) -> CheckedOutput {
        let measured = table.measure != nil && table.statistic != .count
        let keys = CellKeys(table.dimensions)
        let suppression = suppress(
            shape: table.dimensions.map(\.levels.count), counts: table.cells.map(\.count),
            contributions: table.cells.map { measured ? $0.contributions : nil }, values: table.cells.map(\.value),
            countsRows: !measured, names: table.cells.indices.map(keys.name))
        guard let (grid, hits) = suppression else { return unprotectable(measured: measured) }

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

    /// The cell's levels with their dimensions' names, in the order of those names: the same
    /// whatever order the dimensions were asked in.
    func name(_ index: Int) -> [String] {
        let coordinates = coordinates(index)
        return dimensions.indices.sorted { dimensions[$0].name < dimensions[$1].name }.flatMap {
            [dimensions[$0].name, dimensions[$0].levels[coordinates[$0]]]
        }
    }

    func of(_ index: Int) -> [String: String] {
        let coordinates = coordinates(index)
        return Dictionary(
            uniqueKeysWithValues: dimensions.indices.map {
                (dimensions[$0].name, dimensions[$0].levels[coordinates[$0]])
            })
    }
}
