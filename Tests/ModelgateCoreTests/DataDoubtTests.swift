import ModelgateTestSupport
import Testing

@testable import ModelgateCore

/// Art. 22 of the measures: a researcher files a doubt on a dataset; only an owner of that
/// dataset answers it, once, with a reason; an open doubt past its due time is overdue.
@Suite struct DataDoubtTests {
    let researcher = Principal(name: "r", role: .researcher)
    let owner = Principal(name: "oa", role: .owner, body: "A")
    let columns = ["district", "income"]

    func file(_ column: String? = "income", _ description: String? = "incomes in Wuxi look ten times too high")
        throws -> DataDoubt
    {
        try DataDoubt.filed(
            id: "d1", by: researcher, dataset: "a", columns: columns, column: column, description: description,
            at: "2026-12-02T09:00:00.000Z", dueBy: "2026-12-17T00:00:00.000Z"
        ).0
    }

    @Test func aResearcherFilesADoubtOnAColumnThatExists() throws {
        let (doubt, record) = try DataDoubt.filed(
            id: "d1", by: researcher, dataset: "a", columns: columns, column: " income ", description: " too high ",
            at: "2026-12-02T09:00:00.000Z", dueBy: "2026-12-17T00:00:00.000Z")
        #expect(doubt.status == .open && doubt.column == "income" && doubt.description == "too high")
        #expect(record.kind == .doubtFiled && record.dataset == "a")
        #expect(throws: ModelgateError.self) { try file("salary") }
        #expect(throws: ModelgateError.self) { try file("income", "  ") }
        #expect(try file(nil).column == nil)
        // Shown to owners and auditors: no escape sequence or direction override.
        #expect(throws: ModelgateError.self) { try file("income", "looks \u{1B}[2J wrong") }
        #expect(throws: ModelgateError.self) { try file("income", "looks \u{202E}gnorw") }
        #expect(throws: ModelgateError.self) { try file("inc\u{202E}ome") }
        #expect(try file("income", "line one\nline two\tend").description == "line one\nline two\tend")
        // A browser's text area sends CR LF; joiners that scripts and emoji need are text.
        #expect(try file("income", "one\r\ntwo\rthree").description == "one\ntwo\nthree")
        #expect(
            try file("income", "family 👨\u{200D}👩\u{200D}👧; می\u{200C}خواهم").description.unicodeScalars.contains(
                "\u{200D}"))
        for role in [Role.owner, .auditor, .admin] {
            let error = #expect(throws: ModelgateError.self) {
                try DataDoubt.filed(
                    id: "d", by: Principal(name: "x", role: role, body: role == .owner ? "A" : nil), dataset: "a",
                    columns: columns, column: nil, description: "x", at: "t", dueBy: "u")
            }
            #expect(error?.code == .forbidden)
        }
    }

    @Test func onlyAnOwnerOfTheDatasetAnswersOnceWithAReason() throws {
        let doubt = try file()
        let other = Principal(name: "ob", role: .owner, body: "B")
        #expect(throws: ModelgateError.self) {
            try doubt.answering(confirmed: true, reason: "fixed", by: other, owner: "A", at: "2026-12-03T00:00:00.000Z")
        }
        let missing = #expect(throws: ModelgateError.self) {
            try doubt.answering(confirmed: false, reason: " ", by: owner, owner: "A", at: "2026-12-03T00:00:00.000Z")
        }
        #expect(missing?.code == .reasonRequired)
        let hidden = #expect(throws: ModelgateError.self) {
            try doubt.answering(
                confirmed: false, reason: "fine \u{202E}enif", by: owner, owner: "A", at: "2026-12-03T00:00:00.000Z")
        }
        #expect(hidden?.code == .invalidBody)
        let (answered, record) = try doubt.answering(
            confirmed: false, reason: "checked against the source", by: owner, owner: "A",
            at: "2026-12-18T00:00:00.000Z")
        #expect(answered.status == .notConfirmed && answered.answer?.owner == "oa")
        #expect(record.kind == .doubtAnswered)
        let again = #expect(throws: ModelgateError.self) {
            try answered.answering(confirmed: true, reason: "x", by: owner, owner: "A", at: "2026-12-19T00:00:00.000Z")
        }
        #expect(again?.code == .unchanged)
    }

    @Test func anOpenDoubtPastItsDueTimeIsOverdue() throws {
        let doubt = try file()
        #expect(doubt.seen(at: "2026-12-16T23:59:59.999Z").overdue == false)
        #expect(doubt.seen(at: "2026-12-17T00:00:00.001Z").overdue == true)
        let answered = try doubt.answering(
            confirmed: true, reason: "corrected", by: owner, owner: "A", at: "2026-12-20T00:00:00.000Z"
        ).0
        #expect(answered.seen(at: "2027-01-01T00:00:00.000Z").overdue == false)
    }
}
