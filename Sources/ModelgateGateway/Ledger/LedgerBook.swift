import Foundation
import ModelgateCore
import ModelgateDisclosure
import ModelgateStore

/// The release ledgers of the dataset versions this process runs jobs on: kept in memory between
/// jobs, brought up to date from the store inside each job's finishing transaction (another
/// process, the command line beside the server, may have added to them), and their row atoms in
/// files under `state/ledger/DATASET/VERSION/`.
///
/// The store's transaction is what serialises the check and the record across jobs and processes;
/// this class only saves rereading what has not changed.
final class LedgerBook: @unchecked Sendable {
    let folder: URL
    private var ledgers: [LedgerKey: ReleaseLedger] = [:]
    private let lock = NSLock()

    init(state: URL) {
        folder = state.appendingPathComponent("ledger", isDirectory: true)
    }

    /// The ledger as this process last saw it; for a version it has not seen, the ledger as the
    /// store has it now. Either may miss entries that another job adds before the caller's
    /// transaction; that one brings it up to date (``catchUp(_:with:_:)``).
    func cached(_ key: LedgerKey, rowCount: Int, store: any GatewayStore) throws -> ReleaseLedger {
        if let kept = lock.withLock({ ledgers[key] }) { return kept }
        // Read here, not only in the transaction: a job judged against an empty ledger there
        // would be judged twice (the command line's one job, every time). Outside it, another
        // job may replace the atom file meanwhile: then this one starts empty and catches up
        // inside, as before.
        let empty = ReleaseLedger(rowCount: rowCount)
        var ledger = empty
        let entries = try store.ledgerEntries(key, after: ledger.generation)
        guard !entries.isEmpty else { return ledger }
        do {
            try catchUp(&ledger, with: entries, key)
        } catch {
            return empty
        }
        return ledger
    }

    /// The ledger this process kept for `key`, when it is newer than `generation` (or any, for nil).
    func kept(_ key: LedgerKey, newerThan generation: Int?) -> ReleaseLedger? {
        guard let kept = lock.withLock({ ledgers[key] }), kept.generation > generation ?? -1 else { return nil }
        return kept
    }

    /// Keeps `ledger` unless a newer generation was kept meanwhile.
    func keep(_ ledger: ReleaseLedger, for key: LedgerKey) {
        lock.withLock {
            if (ledgers[key]?.generation ?? -1) < ledger.generation { ledgers[key] = ledger }
        }
    }

    /// `ledger` with the entries it missed applied; the row atoms come from the last missed entry
    /// that wrote a file. When this process kept the ledger as of the last missed entry (a job of
    /// its own finished meanwhile), that one is taken as it is, with the span its check left.
    func catchUp(_ ledger: inout ReleaseLedger, with missed: [LedgerEntry], _ key: LedgerKey) throws {
        if let last = missed.last, let kept = lock.withLock({ ledgers[key] }), kept.generation == last.generation {
            ledger = kept
            return
        }
        let lastFile = missed.lastIndex { $0.atomsFile != nil }
        for (index, entry) in missed.enumerated() {
            let rows = index == lastFile ? try readAtoms(entry.atomsFile!, key, rowCount: ledger.atomOfRow.count) : nil
            ledger.replay(entry, atomOfRow: rows)
        }
        if ledger.knownSlack == nil { adoptSlack(&ledger, key, history: missed) }
    }

    /// Gives `ledger`, just read back from `history`, the slack last measured on it (see
    /// ``SlackFile``): from the newest file of its generation or before whose job made that
    /// generation in `history`, for its atoms and features.
    private func adoptSlack(_ ledger: inout ReleaseLedger, _ key: LedgerKey, history: [LedgerEntry]) {
        let directory = self.directory(key)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let newest = files.compactMap { name in LedgerFile.slack.generation(of: name).map { ($0, name) } }
            .filter { $0.0 <= ledger.generation }.max { $0.0 < $1.0 }
        guard let (generation, name) = newest,
            let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path),
            let slack = SlackFile.decode(Array(data), atomCount: ledger.atomCounts.count),
            slack.generation == generation,
            history.contains(where: { $0.generation == generation && $0.job == slack.job })
        else { return }
        _ = ledger.adoptSlack(features: slack.features, rows: slack.rows)
    }

    /// Keeps `ledger`'s measured slack for the next process that reads it back, replacing what was
    /// kept for earlier generations; `job` made its generation. Best effort: without it, that
    /// process measures it again.
    func writeSlack(_ ledger: ReleaseLedger, _ key: LedgerKey, job: String) {
        guard let slack = ledger.knownSlack else { return }
        let contents = SlackFile.Contents(
            generation: ledger.generation, job: job, features: slack.features, rows: slack.rows)
        let name = LedgerFile.slack.name(generation: ledger.generation)
        let bytes = SlackFile.encode(contents, atomCount: ledger.atomCounts.count)
        guard (try? writeFile(name, bytes, key, synced: false)) != nil else { return }
        remove(.slack, before: ledger.generation, key)
    }

    /// Writes the rows' atoms for a new generation, durably, before the entry naming the file is
    /// committed: a crash in between leaves a file no entry names, which the next writer replaces.
    func writeAtoms(_ rows: [UInt32], generation: Int, _ key: LedgerKey) throws -> String {
        let name = LedgerFile.atoms.name(generation: generation)
        try rows.withUnsafeBytes { try writeFile(name, $0, key) }
        return name
    }

    /// Writes a file of the ledger's folder whole: to a temporary file, synced unless `synced` is
    /// false, then renamed; the temporary file is removed if that fails.
    private func writeFile(_ name: String, _ bytes: some ContiguousBytes, _ key: LedgerKey, synced: Bool = true) throws
    {
        let directory = self.directory(key)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        // Named for this process and call: gateways sharing the state folder may write the same
        // file (a generation's slack) at once, each whole, the last rename winning.
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("create", temporary) }
        var saved = false
        defer {
            close(fd)
            if !saved { unlink(temporary) }
        }
        try bytes.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let wrote = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if wrote < 0 && errno == EINTR { continue }
                guard wrote > 0 else { throw Self.failure("write", temporary) }
                done += wrote
            }
        }
        guard !synced || fsync(fd) == 0, rename(temporary, path) == 0 else { throw Self.failure("save", path) }
        saved = true
        guard synced else { return }
        let directoryFD = open(directory.path, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Removes atom files older than the one `generation` wrote: no entry will be read from them.
    /// Newer ones stay: a job that finished after this one may have written one already.
    func removeAtoms(before name: String, _ key: LedgerKey) {
        guard let own = LedgerFile.atoms.generation(of: name) else { return }
        remove(.atoms, before: own, key)
    }

    /// Removes the files of `kind` of a generation before `own`.
    private func remove(_ kind: LedgerFile, before own: Int, _ key: LedgerKey) {
        let directory = self.directory(key)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for file in files where !file.hasSuffix(".tmp") {
            guard let number = kind.generation(of: file), number < own else { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
        }
    }

    private func readAtoms(_ name: String, _ key: LedgerKey, rowCount: Int) throws -> [UInt32] {
        let path = directory(key).appendingPathComponent(name).path
        guard let data = FileManager.default.contents(atPath: path), data.count == rowCount * 4 else {
            throw ModelgateError(
                "ledger_unreadable", "the release ledger's file \(path) is missing or does not match \(rowCount) rows")
        }
        return data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
    }

    private func directory(_ key: LedgerKey) -> URL {
        folder.appendingPathComponent(key.dataset, isDirectory: true).appendingPathComponent(
            key.version, isDirectory: true)
    }

    private static func failure(_ what: String, _ path: String) -> ModelgateError {
        ModelgateError("ledger_write_failed", "cannot \(what) \(path): \(String(cString: strerror(errno)))")
    }
}

/// The kinds of file in a ledger's folder, each named by its generation: `atoms-N.u32` (every
/// row's atom) and `slack-N.i32` (see ``SlackFile``).
struct LedgerFile {
    let prefix: String
    let suffix: String

    static let atoms = LedgerFile(prefix: "atoms-", suffix: ".u32")
    static let slack = LedgerFile(prefix: "slack-", suffix: ".i32")

    func name(generation: Int) -> String { "\(prefix)\(generation)\(suffix)" }

    /// The generation a file's name carries; nil for a file of another kind.
    func generation(of name: String) -> Int? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        return Int(name.dropFirst(prefix.count).dropLast(suffix.count))
    }
}
