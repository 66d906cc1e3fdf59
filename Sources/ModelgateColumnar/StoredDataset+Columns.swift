import Foundation
import ModelgateColumnFiles
import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

extension StoredDataset {
    /// Opens the named columns' files read-only, checking their sizes, without mapping them.
    package func openColumns(_ names: [String]) throws -> OpenedColumns {
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
    /// Jobs' estimators never use this (their worker maps what it is handed); ingest checks, the
    /// release ledger (regression features' values, see `WeightedSums`) and tests do.
    package func columns(_ names: [String]) throws -> ColumnSet {
        let opened = try openColumns(names)
        return try ColumnSet(mapping: opened.columns, rowCount: opened.rowCount)
    }
}
