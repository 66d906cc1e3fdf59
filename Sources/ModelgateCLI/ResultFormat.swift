import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway

/// How `run`, `submit` and `jobs show|wait` print a result: `table` for a person at a terminal,
/// `json` for the document itself (as recorded, so that it verifies), `csv` for a spreadsheet.
enum ResultFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv

    /// Prints `result` (whose recorded text is `jsonText`) and ends with the exit status its
    /// outcome calls for: 0 released, 3 refused, 4 failed in the worker. A refused or failed
    /// job's reason goes to standard error when the format is CSV, which holds values only.
    func print(_ result: JobResult, jsonText: String) throws {
        switch self {
        case .json: Swift.print(jsonText.hasSuffix("\n") ? jsonText : jsonText + "\n", terminator: "")
        case .table: Swift.print(ResultText.render(result), terminator: "")
        case .csv:
            if let csv = ResultCSV.render(result) {
                Swift.print(csv, terminator: "")
            } else if let reason = result.reason {
                let line = "\(result.status.rawValue) [\(reason.code.rawValue)]: \(reason.message)"
                FileHandle.standardError.write(Data((ResultText.printable(line) + "\n").utf8))
            }
        }
        switch result.status {
        case .released: break
        case .refused: throw ExitCode(3)
        case .failed: throw ExitCode(4)
        }
    }
}
