import ArgumentParser
import Foundation
import ModelgateColumnar
import ModelgateCore
import ModelgateGateway
import ModelgateStore

struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Reports on how datasets were used, from the recorded jobs.",
        subcommands: [UsageReportCommand.self]
    )
}

struct UsageReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The yearly evaluation view: jobs, refusals, suppression, researchers, CPU.",
        discussion: """
            Counts every recorded job, refused ones included, in the UTC year it was submitted: \
            by dataset, model and status; the reasons jobs were refused or failed; the share of \
            released values that were suppressed; how many distinct researchers used each \
            dataset; and the worker CPU time spent.
            """
    )

    @OptionGroup var state: StateOptions
    @Option(help: ArgumentHelp("A calendar year (UTC); all years when absent.", valueName: "year")) var year: Int?
    @Option(help: ArgumentHelp("One dataset only.", valueName: "id")) var dataset: String?
    @Option(help: "Output format: table, json, or csv (one row per dataset, model and status).")
    var format: Format = .table

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    func validate() throws {
        if let year, !(1970...9999).contains(year) { throw ValidationError("--year \(year) is not a calendar year") }
    }

    func run() throws {
        if let dataset {
            let known = DatasetStore(state: state.url).list()
            guard known.contains(dataset) else {
                throw ModelgateError(
                    .unknownDataset,
                    "no dataset '\(dataset)' in \(state.state); "
                        + (known.isEmpty ? "none is ingested" : "its datasets are \(known.joined(separator: ", "))"))
            }
        }
        let report = try existingStore(state).usageReport(.init(year: year, dataset: dataset))
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        case .table:
            print(UsageReportText.render(report), terminator: "")
        case .csv:
            print(UsageReportText.csv(report), terminator: "")
        }
    }
}

/// The usage report as text for a terminal.
enum UsageReportText {
    static func render(_ report: UsageReport) -> String {
        let scope = [report.year.map { "\($0)" } ?? "all years", report.dataset ?? "all datasets"]
        var out = "Usage report: \(scope.joined(separator: ", "))\n"
        let totals = report.totals
        out +=
            "\(count(totals.jobs, "job")), \(count(totals.researchers, "researcher")), worker CPU \(seconds(totals.cpuSeconds)) s, "
        out += "suppressed \(totals.cellsSuppressed) of \(totals.cellsReleased) released values"
        out += totals.suppressionRate.map { " (\(percent($0)))\n" } ?? "\n"
        guard totals.jobs > 0 else { return out + "\nno jobs recorded in this scope\n" }
        out += "\nJobs by dataset, model and status\n"
        out += table(
            ["dataset", "model", "status", "jobs", "CPU s"],
            report.lines.map {
                [$0.dataset ?? "(none)", $0.model ?? "-", $0.status, "\($0.jobs)", seconds($0.cpuSeconds)]
            })
        if !report.reasons.isEmpty {
            out += "\nReasons for refused and failed jobs\n"
            out += table(["reason", "status", "jobs"], report.reasons.map { [$0.code, $0.status, "\($0.jobs)"] })
        }
        out += "\nDatasets\n"
        out += table(
            ["dataset", "jobs", "researchers", "suppressed", "CPU s"],
            report.datasets.map {
                [
                    $0.dataset, "\($0.jobs)", "\($0.researchers)", $0.suppressionRate.map(percent) ?? "-",
                    seconds($0.cpuSeconds),
                ]
            })
        if let privacy = report.privacy {
            out += "\nPrivacy budget spent (datasets in privacy mode dp)\n"
            out += table(
                ["dataset", "agreement", "jobs", "ε"],
                privacy.map { [$0.dataset, $0.agreement ?? "(owner or operator)", "\($0.jobs)", $0.epsilon] })
        }
        return out
    }

    /// The jobs by dataset, model and status, one CSV row each, with the report's scope.
    static func csv(_ report: UsageReport) -> String {
        let year = report.year.map(String.init) ?? "all"
        return CSVText.line(["year", "dataset", "model", "status", "jobs", "cpu_seconds"])
            + report.lines.map {
                CSVText.line([
                    year, $0.dataset ?? "", $0.model ?? "", $0.status, String($0.jobs), seconds($0.cpuSeconds),
                ])
            }.joined()
    }

    static func count(_ value: Int, _ noun: String) -> String { "\(value) \(noun)\(value == 1 ? "" : "s")" }
    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }
    static func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }

    /// Columns padded to their widest entry; numbers right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                let pad = String(repeating: " ", count: widths[column] - row[column].count)
                let numeric = column > 0 && row != header && row[column].first?.isNumber == true
                return numeric ? pad + row[column] : row[column] + pad
            }.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }.joined()
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
