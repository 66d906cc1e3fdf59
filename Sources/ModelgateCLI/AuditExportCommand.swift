import ArgumentParser
import Foundation
import ModelgateGateway
import ModelgateStore

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case json, csv
}

struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write audit events, filtered, as JSON or CSV on standard output.",
        discussion: """
            Each event is written with every field its hash covers (index, at, kind, principal, \
            dataset, job, detail exactly as stored, previousHash, hash), so an export can be \
            checked event by event without modelgate (from JSON: CSV writes an absent field and \
            an empty one alike, so recompute hashes from the JSON export). Times are UTC; \
            --since and --until take a day (2026-01-01) or a time (2026-01-01T08:00:00Z); \
            --until is exclusive.
            """
    )

    @OptionGroup var state: StateOptions
    @Option(help: ArgumentHelp("Events at or after this day or time.", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Events before this day or time.", valueName: "time")) var until: String?
    @Option(help: ArgumentHelp("Events about this dataset.", valueName: "id")) var dataset: String?
    @Option(help: ArgumentHelp("Events caused by this principal.", valueName: "name")) var principal: String?
    @Option(help: ArgumentHelp("Events of this kind, e.g. job_refused.", valueName: "kind")) var kind: String?
    @Option(help: "Output format.") var format: ExportFormat = .json

    func validate() throws {
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, Timestamp.parse(value) == nil {
                throw ValidationError("\(name) '\(value)' is not a day (2026-01-01) or an ISO 8601 time")
            }
        }
    }

    func run() throws {
        let store = try existingStore(state)
        let filter = AuditFilter(
            since: since.flatMap(Timestamp.parse).map(Timestamp.string),
            until: until.flatMap(Timestamp.parse).map(Timestamp.string), dataset: dataset, principal: principal,
            kind: kind.map(AuditEvent.Kind.init(rawValue:)))
        let output = BufferedOutput()
        var count = 0
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            output.write("[")
            try store.forEachEvent(filter) { event in
                output.write((count == 0 ? "\n" : ",\n") + String(decoding: try encoder.encode(event), as: UTF8.self))
                count += 1
            }
            output.write(count == 0 ? "]\n" : "\n]\n")
        case .csv:
            output.write("index,at,kind,principal,dataset,job,detail,previousHash,hash\n")
            try store.forEachEvent(filter) { event in
                let fields = [
                    String(event.index), event.at, event.kind.rawValue, event.principal ?? "", event.dataset ?? "",
                    event.job ?? "", event.detail, event.previousHash, event.hash,
                ]
                output.write(CSVText.line(fields))
                count += 1
            }
        }
        output.flush()
        FileHandle.standardError.write(Data("exported \(count) events\n".utf8))
    }
}

/// Standard output in large writes, for exports of many events.
final class BufferedOutput {
    private var buffer: [UInt8] = []

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
