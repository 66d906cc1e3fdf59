import ModelgateCore

/// The row sets a checked result reveals, and those it withheld, as sets of the worker's row
/// labels (see ``RowLabels``): what the release ledger enters for one job.
package struct ReleasedRowSets: Sendable, Equatable {
    package var released: [[UInt32]]
    package var protected: [[UInt32]]

    package init(released: [[UInt32]] = [], protected: [[UInt32]] = []) {
        self.released = released
        self.protected = protected
    }

    /// The sets of a released output. `rowsDropped` is the count of dropped rows as reported to the
    /// researcher (nil when withheld, which protects them).
    package init(_ raw: RawResult, _ output: ReleasedOutput, labels: RowLabels, rowsDropped: Int?) {
        self.init()
        switch output {
        case .table(let table):
            // The coordinates are the table's dimensions, so each key is a cell.
            for (index, cell) in table.cells.enumerated() where index < labels.keyCount {
                let set = [RowLabels.first + UInt32(index)]
                if cell.suppressed { protected.append(set) } else { released.append(set) }
            }
        case .histogram(let histogram):
            // Keys: 0 below the first edge, 1 + bin, bins + 1 above; a released histogram lists
            // the below and above bins only when it reports them.
            let binCount = labels.radices.first.map { $0 - 2 } ?? 0
            var inner = 0
            for bin in histogram.bins {
                let key: Int
                switch (bin.lower, bin.upper) {
                case (nil, _): key = 0
                case (_, nil): key = binCount + 1
                default:
                    inner += 1
                    key = inner
                }
                let set = [RowLabels.first + UInt32(key)]
                if bin.suppressed { protected.append(set) } else { released.append(set) }
            }
        case .summary, .regression:
            for coordinates in labels.revealed { released += labels.labelGroups(on: coordinates) }
        }
        switch rowsDropped {
        case .some(let count) where count > 0: released.append([RowLabels.dropped])
        case nil where raw.rowsDropped > 0: protected.append([RowLabels.dropped])
        default: break
        }
    }

    /// The sets of a summary or regression refused for what its figures would tell of a group of
    /// `threshold` rows or more (a few rows dominating it, or its rows sharing one value): each is
    /// protected, so that no later release gives its figures back as a difference of two larger
    /// groups. A smaller group needs no entry: every derivable set under `threshold` rows is
    /// refused anyway.
    package init(refused raw: RawResult, labels: RowLabels) {
        self.init()
        switch raw.output {
        case .summary, .regression:
            for coordinates in labels.revealed { protected += labels.labelGroups(on: coordinates) }
        case .table, .histogram, .sums:
            break
        }
    }
}
