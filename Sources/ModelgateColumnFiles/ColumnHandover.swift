import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// A column as a worker process receives it: how it is stored, and the descriptors of its files,
/// which the parent opened read-only and passed in. The worker maps them; it cannot open a path.
package struct HandedColumn: Sendable, Equatable, Codable {
    package var name: String
    package var encoding: StoredColumn.Encoding
    package var width: Int
    package var levels: [String]
    package var values: HandedFile
    package var validity: HandedFile?

    package init(
        name: String, encoding: StoredColumn.Encoding, width: Int, levels: [String], values: HandedFile,
        validity: HandedFile?
    ) {
        self.name = name
        self.encoding = encoding
        self.width = width
        self.levels = levels
        self.values = values
        self.validity = validity
    }
}

package struct HandedFile: Sendable, Equatable, Codable {
    package var descriptor: Int32
    package var byteCount: Int

    package init(descriptor: Int32, byteCount: Int) {
        self.descriptor = descriptor
        self.byteCount = byteCount
    }
}

/// The files of some columns of a dataset, open read-only, closed when this goes away.
///
/// The descriptors in ``columns`` are this process's own. ``handed(from:)`` renumbers them as a
/// child sees them after they are placed, in ``descriptors`` order, from a first number on.
package final class OpenedColumns: @unchecked Sendable {
    package let rowCount: Int
    package let columns: [HandedColumn]
    /// Every open descriptor, in the order the columns and their validity files use them.
    package let descriptors: [Int32]

    package init(rowCount: Int, columns: [HandedColumn], descriptors: [Int32]) {
        self.rowCount = rowCount
        self.columns = columns
        self.descriptors = descriptors
    }

    package func handed(from first: Int32) -> [HandedColumn] {
        let position = Dictionary(uniqueKeysWithValues: descriptors.enumerated().map { ($1, first + Int32($0)) })
        return columns.map { column in
            var column = column
            column.values.descriptor = position[column.values.descriptor]!
            if let validity = column.validity { column.validity?.descriptor = position[validity.descriptor]! }
            return column
        }
    }

    deinit {
        for fd in descriptors { close(fd) }
    }
}

extension ColumnSet {
    /// Maps handed column files read-only, checking each against the row count.
    package init(mapping columns: [HandedColumn], rowCount: Int) throws {
        var vectors: [String: ColumnVector] = [:]
        for column in columns {
            guard [1, 2, 4, 8].contains(column.width), column.values.byteCount == rowCount * column.width,
                column.validity.map({ $0.byteCount == (rowCount + 7) / 8 }) ?? true
            else {
                throw ModelgateError("dataset_corrupt", "column '\(column.name)' does not match \(rowCount) rows")
            }
            let data = try MappedFile(
                descriptor: column.values.descriptor, size: column.values.byteCount, name: column.name)
            var owners: [AnyObject] = [data]
            var validity: UnsafePointer<UInt8>?
            if let file = column.validity {
                let bits = try MappedFile(
                    descriptor: file.descriptor, size: file.byteCount, name: "\(column.name) validity")
                validity = bits.base?.assumingMemoryBound(to: UInt8.self)
                owners.append(bits)
            }
            // An empty dataset maps nothing; any non-null pointer serves for zero rows.
            let base = data.base ?? UnsafeRawPointer(bitPattern: 16)!
            let storage: ColumnVector.Storage
            switch column.encoding {
            case .codes: storage = .codes(base, width: column.width)
            case .integers: storage = .integers(base, width: column.width)
            case .numbers: storage = .numbers(base.assumingMemoryBound(to: Double.self))
            case .booleans: storage = .booleans(base.assumingMemoryBound(to: UInt8.self))
            }
            vectors[column.name] = ColumnVector(
                count: rowCount, storage: storage, levels: column.levels, validity: validity, owner: Owners(owners))
        }
        self.init(rowCount: rowCount, columns: vectors)
    }
}

/// Keeps a column's mappings (values and validity) alive together.
final class Owners {
    let items: [AnyObject]
    init(_ items: [AnyObject]) { self.items = items }
}
