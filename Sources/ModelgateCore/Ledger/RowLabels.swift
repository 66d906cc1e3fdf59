/// How a job's worker labelled each row of the dataset, so that the release ledger can tell which
/// rows each released figure is about without the gateway reading a column.
///
/// Every row gets one `UInt32`: ``outside`` when it failed the filters, ``dropped`` when it passed
/// them but missed a value the model uses, and `first + key` when the job used it, where `key` is
/// the mixed-radix number of the row's level on each coordinate (the last coordinate varies
/// fastest, like table cells). A crosstab's coordinates are its dimensions, so a key is a cell; a
/// histogram's one coordinate is its bin (below, the bins, above); a summary has none (its figures
/// are over its whole selection); a regression's are the grouping variables (not its outcome)
/// whose counts its fit gives away.
package struct RowLabels: Sendable, Equatable, Codable {
    /// Number of levels of each coordinate.
    package var radices: [Int]
    /// The combinations of coordinates whose every level combination the result reveals a figure
    /// for (a count, a sum, a mean). `[]` is the whole selection; `[0]` each level of coordinate 0.
    /// Crosstabs and histograms list none: the gateway knows which of their cells were released.
    package var revealed: [[Int]]

    package init(radices: [Int], revealed: [[Int]] = []) {
        self.radices = radices
        self.revealed = revealed
    }

    package static let outside: UInt32 = 0
    package static let dropped: UInt32 = 1
    package static let first: UInt32 = 2

    /// Number of keys, the product of the radices.
    package var keyCount: Int { radices.reduce(1, *) }

    /// Labels a job may use: the keys plus ``first`` (`nil` when they would not fit a `UInt32`).
    package static func fits(_ radices: [Int]) -> Bool {
        var product = 1
        for radix in radices {
            let (next, overflow) = product.multipliedReportingOverflow(by: max(radix, 1))
            if overflow || next > Int(UInt32.max) - Int(first) { return false }
            product = next
        }
        return true
    }

    /// The level of `coordinate` in `key`.
    package func level(of coordinate: Int, in key: Int) -> Int {
        var stride = 1
        for later in radices.indices.dropFirst(coordinate + 1) { stride *= radices[later] }
        return (key / stride) % radices[coordinate]
    }

    /// The keys grouped by their levels on `coordinates`: one list of labels per combination that
    /// occurs in the key space (every combination does: the key space is a full product).
    package func labelGroups(on coordinates: [Int]) -> [[UInt32]] {
        var groups: [Int: [UInt32]] = [:]
        for key in 0..<keyCount {
            var group = 0
            for coordinate in coordinates { group = group * radices[coordinate] + level(of: coordinate, in: key) }
            groups[group, default: []].append(Self.first + UInt32(key))
        }
        return groups.keys.sorted().map { groups[$0]! }
    }
}
