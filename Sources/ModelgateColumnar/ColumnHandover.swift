import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// A column as a worker process receives it: how it is stored, and the descriptors of its files,
/// which the parent opened read-only and passed in. The worker maps them; it cannot open a path.
public struct HandedColumn: Sendable, Equatable, Codable {
    public var name: String
    public var encoding: StoredColumn.Encoding
    public var width: Int
    public var levels: [String]
    public var values: HandedFile
    public var validity: HandedFile?
}

public struct HandedFile: Sendable, Equatable, Codable {
    public var descriptor: Int32
    public var byteCount: Int
}

/// The files of some columns of a dataset, open read-only, closed when this goes away.
///
/// The descriptors in ``columns`` are this process's own. ``handed(from:)`` renumbers them as a
/// child sees them after they are placed, in ``descriptors`` order, from a first number on.
public final class OpenedColumns: @unchecked Sendable {
    public let rowCount: Int
    public let columns: [HandedColumn]
    /// Every open descriptor, in the order the columns and their validity files use them.
    public let descriptors: [Int32]

    init(rowCount: Int, columns: [HandedColumn], descriptors: [Int32]) {
        self.rowCount = rowCount
        self.columns = columns
        self.descriptors = descriptors
    }

    public func handed(from first: Int32) -> [HandedColumn] {
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

extension StoredDataset {
    /// Opens the named columns' files read-only, checking their sizes, without mapping them.
    public func openColumns(_ names: [String]) throws -> OpenedColumns {
        var columns: [HandedColumn] = []
        var descriptors: [Int32] = []
        // Close what was opened if a later column fails.
        var complete = false
        defer { if !complete { for fd in descriptors { close(fd) } } }
        func openFile(_ file: String, expected: Int) throws -> HandedFile {
            let path = folder.appendingPathComponent(file).path
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw ModelgateError("dataset_unreadable", "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            descriptors.append(fd)
            let size = try MappedFile.size(of: fd, path)
            guard size == expected else {
                throw ModelgateError(
                    "dataset_corrupt", "\(file) has \(size) bytes, expected \(expected); re-ingest the dataset")
            }
            return HandedFile(descriptor: fd, byteCount: size)
        }
        for name in names {
            guard let stored = manifest.column(named: name) else {
                throw ModelgateError(
                    "column_not_stored", "column '\(name)' is not stored in dataset '\(manifest.id)'; re-ingest it")
            }
            let values = try openFile(stored.file, expected: manifest.rowCount * stored.width)
            let validity = try stored.validityFile.map { try openFile($0, expected: (manifest.rowCount + 7) / 8) }
            columns.append(
                HandedColumn(
                    name: name, encoding: stored.encoding, width: stored.width, levels: stored.levels, values: values,
                    validity: validity))
        }
        complete = true
        return OpenedColumns(rowCount: manifest.rowCount, columns: columns, descriptors: descriptors)
    }

    /// Maps the named columns read-only into this process. Nothing else of the dataset is touched.
    /// Jobs never use this (their worker maps what it is handed); ingest checks and tests do.
    public func columns(_ names: [String]) throws -> ColumnSet {
        let opened = try openColumns(names)
        return try ColumnSet(mapping: opened.columns, rowCount: opened.rowCount)
    }
}

extension ColumnSet {
    /// Maps handed column files read-only, checking each against the row count.
    public init(mapping columns: [HandedColumn], rowCount: Int) throws {
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
