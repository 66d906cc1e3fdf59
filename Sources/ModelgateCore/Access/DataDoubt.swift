/// A researcher's doubt about a dataset's correctness (art. 22 of the measures): which dataset,
/// which column if one, and what seems wrong. An owner of the dataset answers it, confirmed (and
/// corrected) or not confirmed, with a reason, within ``workingDaysToAnswer`` working days; an
/// open doubt past its `dueBy` is overdue, to the owner and to auditors. Each step is an audit
/// event.
package struct DataDoubt: Sendable, Equatable, Codable {
    package var id: String
    package var dataset: String
    package var column: String?
    package var description: String
    package var researcher: String
    package var filedAt: String
    /// The end of the 10th working day (Monday to Friday, UTC) after the day it was filed.
    package var dueBy: String
    package var status: Status
    package var answer: Answer?
    /// Set as it is read: open and past `dueBy`.
    package var overdue: Bool?

    package static let workingDaysToAnswer = 10

    package enum Status: String, Sendable, Codable {
        case open
        /// The owner found the data wrong and corrected it.
        case confirmed
        case notConfirmed = "not_confirmed"
    }

    package struct Answer: Sendable, Equatable, Codable {
        package var owner: String
        package var reason: String
        package var at: String
    }

    /// Researcher `principal` files a doubt on `dataset` (whose columns are `columns`), due by
    /// `dueBy`; returns it with its record.
    package static func filed(
        id: String, by principal: Principal, dataset: String, columns: [String], column: String?,
        description: String?, at now: String, dueBy: String
    ) throws -> (DataDoubt, AccessRecord) {
        try principal.require(.fileDoubt)
        let column = column.map(Application.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        if let column, column.unicodeScalars.contains(where: \.isHidden) {
            throw ModelgateError(.invalidBody, "a column name holds no control or format characters")
        }
        if let column, !columns.contains(column) {
            throw ModelgateError(
                .invalidBody,
                "'\(column)' is not a column of '\(dataset)'; its columns are \(columns.joined(separator: ", "))")
        }
        // Browsers send a text area's line breaks as CR LF.
        let description = Application.trimmed((description ?? "").replacingCRLF())
        guard !description.isEmpty else {
            throw ModelgateError(.invalidBody, "key 'description' must say what seems wrong with the data")
        }
        guard description.count <= 4000 else {
            throw ModelgateError(.invalidBody, "a description is at most 4000 characters")
        }
        // Shown to the owner and auditors: line breaks and tabs, but nothing that hides or
        // reorders text (an escape, a direction override).
        guard !description.unicodeScalars.contains(where: { $0.isHidden && $0 != "\n" && $0 != "\t" }) else {
            throw ModelgateError(
                .invalidBody, "a doubt may not hold control or direction characters other than line breaks and tabs")
        }
        let doubt = DataDoubt(
            id: id, dataset: dataset, column: column, description: description, researcher: principal.name,
            filedAt: now, dueBy: dueBy, status: .open)
        let record = AccessRecord(
            .doubtFiled, dataset: dataset,
            detail: ["doubt": id, "column": column ?? "", "description": description, "dueBy": dueBy])
        return (doubt, record)
    }

    /// An owner of the dataset (whose body is `owner`) answers this doubt, saying why.
    package func answering(confirmed: Bool, reason: String?, by principal: Principal, owner: String, at now: String)
        throws -> (DataDoubt, AccessRecord)
    {
        try principal.require(.answerDoubt)
        try principal.requireOwner(of: dataset, owner: owner)
        let reason = try Application.stated(reason.map { $0.replacingCRLF() })
        guard reason.count <= 4000 else { throw ModelgateError(.invalidBody, "a reason is at most 4000 characters") }
        guard !reason.unicodeScalars.contains(where: { $0.isHidden && $0 != "\n" && $0 != "\t" }) else {
            throw ModelgateError(
                .invalidBody, "a reason may not hold control or direction characters other than line breaks and tabs")
        }
        guard status == .open else { throw ModelgateError(.unchanged, "doubt \(id) was answered already") }
        var answered = self
        answered.status = confirmed ? .confirmed : .notConfirmed
        answered.answer = Answer(owner: principal.name, reason: reason, at: now)
        answered.overdue = nil
        let record = AccessRecord(
            .doubtAnswered, dataset: dataset,
            detail: [
                "doubt": id, "status": answered.status.rawValue, "reason": reason,
                "late": now > dueBy ? "true" : "false",
            ])
        return (answered, record)
    }

    /// This doubt as read at `now` (an ISO 8601 UTC time, comparable as text).
    package func seen(at now: String) -> DataDoubt {
        var doubt = self
        doubt.overdue = status == .open && now > dueBy
        return doubt
    }

    package init(
        id: String, dataset: String, column: String?, description: String, researcher: String, filedAt: String,
        dueBy: String, status: Status, answer: Answer? = nil
    ) {
        self.id = id
        self.dataset = dataset
        self.column = column
        self.description = description
        self.researcher = researcher
        self.filedAt = filedAt
        self.dueBy = dueBy
        self.status = status
        self.answer = answer
    }
}

extension String {
    /// CR LF and lone CR as LF, in one pass.
    fileprivate func replacingCRLF() -> String {
        var out = String.UnicodeScalarView()
        var afterCR = false
        for scalar in unicodeScalars {
            defer { afterCR = scalar == "\r" }
            if scalar == "\r" {
                out.append("\n")
            } else if !(scalar == "\n" && afterCR) {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
