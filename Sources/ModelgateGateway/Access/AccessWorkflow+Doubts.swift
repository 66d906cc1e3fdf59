import Foundation
import ModelgateCore
import ModelgateStore

extension AccessWorkflow {
    /// A data doubt as a researcher sends it (`POST /v1/doubts`).
    package struct DoubtRequest: Decodable, Sendable {
        package var dataset: String
        package var column: String?
        package var description: String?

        package static let keys: Set<String> = ["dataset", "column", "description"]

        package init(dataset: String, column: String?, description: String?) {
            self.dataset = dataset
            self.column = column
            self.description = description
        }
    }

    /// A researcher files a doubt about a dataset of the catalog, due in 10 working days; one
    /// audited transaction.
    package func fileDoubt(_ request: DoubtRequest, by principal: Principal) throws -> DataDoubt {
        try principal.require(.fileDoubt)
        let entry = try catalog.entry(request.dataset)
        return try store.changeAccess("a data doubt", by: principal.name) { transaction in
            let filed = Timestamp.parse(transaction.now) ?? Date()
            let due = Timestamp.endOfWorkingDays(DataDoubt.workingDaysToAnswer, after: filed)
            let (doubt, record) = try DataDoubt.filed(
                id: Self.newID("doubt"), by: principal, dataset: entry.id, columns: entry.columns.map(\.name),
                column: request.column, description: request.description, at: transaction.now,
                dueBy: Timestamp.string(due))
            try transaction.save(doubt)
            try transaction.record([record])
            return doubt.seen(at: transaction.now)
        }
    }

    /// The doubts `principal` may read, oldest first, each marked overdue or not: a researcher
    /// its own, an owner those on its body's datasets, an auditor all.
    package func doubts(for principal: Principal) throws -> [DataDoubt] {
        try principal.require(.readDoubts)
        let all = try store.doubts(researcher: principal.role == .researcher ? principal.name : nil)
        let now = Timestamp.string(Date())
        return try readable(all, by: principal, researcher: \.researcher, datasets: \.datasets).map { $0.seen(at: now) }
    }

    /// One doubt, if `principal` may read it; `unknown_doubt` otherwise, as for one that does not exist.
    package func doubt(_ id: String, for principal: Principal) throws -> DataDoubt {
        try principal.require(.readDoubts)
        guard let stored = try store.doubt(id),
            let doubt = try readable([stored], by: principal, researcher: \.researcher, datasets: \.datasets).first
        else { throw ModelgateError(.unknownDoubt, "data doubt \(id) does not exist") }
        return doubt.seen(at: Timestamp.string(Date()))
    }

    /// An owner of the doubt's dataset answers it: confirmed (and corrected) or not, saying why.
    package func answerDoubt(_ id: String, confirmed: Bool, reason: String?, by principal: Principal) throws
        -> DataDoubt
    {
        try principal.require(.answerDoubt)
        return try store.changeAccess("data doubt \(id)", by: principal.name) { transaction in
            guard let doubt = try transaction.doubt(id), let owner = try catalog.owner(of: doubt.dataset) else {
                throw ModelgateError(.unknownDoubt, "data doubt \(id) does not exist")
            }
            let (answered, record) = try doubt.answering(
                confirmed: confirmed, reason: reason, by: principal, owner: owner, at: transaction.now)
            try transaction.save(answered)
            try transaction.record([record])
            return answered.seen(at: transaction.now)
        }
    }
}

extension DataDoubt {
    /// The one dataset a doubt concerns, as the readers' filter takes datasets.
    var datasets: [String] { [dataset] }
}
