import ModelgateCore

/// A table dimension: its levels, and each row's level index as compact codes.
struct GroupColumn {
    enum Codes {
        /// One byte per row, read straight from the column (category codes or booleans).
        case bytes(UnsafePointer<UInt8>)
        /// Level indices computed for the column (wide codes, integer values).
        case indices([Int32])
    }

    let name: String
    let levels: [String]
    let codes: Codes
    /// Keeps mapped memory alive while `codes` points into it.
    let column: ColumnVector

    /// `planned` carries the policy's bounds, which give an integer dimension its levels.
    init(name: String, column: ColumnVector, planned: PlannedColumn?, selection: RowSelection) {
        self.name = name
        self.column = column
        let n = selection.rowCount
        switch column.storage {
        case .codes where planned?.levels != nil:
            // Declared levels (privacy mode dp): each row's code becomes its declared level's
            // index; a row whose value is not declared is left out by the plan's filter, so the
            // index it gets here (0) is never counted.
            let declared = planned?.levels ?? []
            levels = declared
            let position = Dictionary(declared.enumerated().map { ($0.element, Int32($0.offset)) }) { first, _ in first
            }
            let mapped = column.levels.map { position[$0] ?? 0 }
            codes = .indices(
                (0..<n).map { row in
                    let code = column.code(at: row)
                    return code >= 0 && code < mapped.count ? mapped[code] : 0
                })
        case .codes(let base, let width):
            levels = column.levels
            if width == 1 {
                codes = .bytes(base.assumingMemoryBound(to: UInt8.self))
            } else {
                codes = .indices((0..<n).map { Int32(truncatingIfNeeded: column.code(at: $0)) })
            }
        case .booleans(let values):
            levels = ["false", "true"]
            codes = .bytes(values)
        case .integers, .numbers:
            // Every value between the policy's bounds is a level (admission requires them, and
            // ingest keeps values within them): levels taken from the data would disclose which
            // values occur.
            let low = Int((planned?.min ?? 0).rounded(.up))
            let high = Int((planned?.max ?? 0).rounded(.down))
            levels = low <= high ? (low...high).map(String.init) : []
            codes = .indices((0..<n).map { Int32(truncatingIfNeeded: column.code(at: $0) - low) })
        }
    }

    /// `index[row] = index[row] * levels + code(row)`, the row-major fold over dimensions.
    func fold(into index: inout [Int32]) {
        let count = Int32(levels.count)
        switch codes {
        case .bytes(let bytes):
            for row in index.indices { index[row] = index[row] &* count &+ Int32(bytes[row]) }
        case .indices(let codes):
            for row in index.indices { index[row] = index[row] &* count &+ codes[row] }
        }
    }
}
