import Foundation
import GRDB
import ModelgateCore
import ModelgateTestSupport
import Testing

@testable import ModelgateStore

/// The audit log's hash chain: the encoding matches an independent implementation, a long chain
/// verifies, and every way of tampering with a stored event is caught at the event it touched.
@Suite struct AuditChainTests {
    /// Hashes computed by scripts/store_reference.py (Python's hashlib, from the encoding as
    /// the README documents it), not by this code.
    @Test func eventHashesMatchAnIndependentImplementation() {
        let first = AuditEvent(
            index: 1, at: "2026-01-01T00:00:00.000Z", kind: .policyLoaded, principal: "operator",
            dataset: "household-survey", job: nil, detail: #"{"policyHash":"ab"}"#,
            previousHash: AuditEvent.genesisHash)
        #expect(first.hash == "f886bae86db8e635526a7d596004b41ef448e83d45a5b74a85f20ca6b7165aab")
        let second = AuditEvent(
            index: 2, at: "2026-01-01T00:00:01.500Z", kind: .jobRefused, principal: "研究员", dataset: nil,
            job: "job-1", detail: "{}", previousHash: first.hash)
        #expect(second.hash == "0a1117297686d2a925b10c1570e0afa7b43e586c820c1effab60d94595a1fe64")
    }

    /// A missing field and an empty one encode differently, so neither can stand for the other.
    @Test func anAbsentFieldIsNotAnEmptyOne() {
        let absent = AuditEvent(
            index: 1, at: "t", kind: .jobRefused, principal: nil, dataset: "", job: nil, detail: "{}",
            previousHash: AuditEvent.genesisHash)
        let empty = AuditEvent(
            index: 1, at: "t", kind: .jobRefused, principal: "", dataset: nil, job: nil, detail: "{}",
            previousHash: AuditEvent.genesisHash)
        #expect(absent.hash != empty.hash)
    }

    /// Times are read only where their written form has a fixed width, so that the store's and
    /// the procedure's text comparisons order them as times: 9999-12-31T23:00-05:00 is in the year
    /// 10000 and would sort before 2027 as text.
    @Test func onlyTimesOfFourDigitYearsAreRead() throws {
        #expect(Timestamp.parse("2026-01-01").map(Timestamp.string) == "2026-01-01T00:00:00.000Z")
        #expect(Timestamp.parse("2026-06-30T23:30:00-01:00").map(Timestamp.string) == "2026-07-01T00:30:00.000Z")
        #expect(Timestamp.parse("9999-12-31T23:59:59Z").map(Timestamp.string) == "9999-12-31T23:59:59.000Z")
        #expect(Timestamp.parse("9999-12-31T23:00:00-05:00") == nil)
        #expect(Timestamp.parse("0001-01-01T00:30:00+01:00") == nil)
        #expect(Timestamp.parse("2026-13-01") == nil && Timestamp.parse("tomorrow") == nil)
    }

    /// The procedure's one transaction keeps all or nothing: a step whose rule throws after it
    /// saved an application and recorded its event leaves neither, and the chain still verifies.
    @Test func anAccessStepThatFailsKeepsNothing() throws {
        let (folder, store) = try StoreFixture.store(jobs: 1)
        defer { withExtendedLifetime(folder) {} }
        let before = try store.verifyChain(progress: nil).count
        let application = Application(
            id: "app-x", researcher: "r", datasets: ["survey"], models: [.summary], purpose: "p", scenario: "s",
            safeguards: "g", starts: "2026-01-01", ends: "2027-01-01", submittedAt: "t")
        #expect(throws: ModelgateError.self) {
            try store.changeAccess("a test", by: "r") { transaction in
                try transaction.save(application)
                try transaction.record([AccessRecord(.applicationSubmitted, dataset: "survey", detail: ["a": "b"])])
                throw ModelgateError(.forbidden, "the rule said no after the writes")
            }
        }
        #expect(try store.application("app-x") == nil)
        #expect(try store.verifyChain(progress: nil).count == before)
        // The same step without the throw keeps both, the event as its actor's.
        try store.changeAccess("a test", by: "r") { transaction in
            try transaction.save(application)
            try transaction.record([AccessRecord(.applicationSubmitted, dataset: "survey", detail: ["a": "b"])])
        }
        #expect(try store.application("app-x") == application)
        var last: AuditEvent?
        try store.forEachEvent(AuditFilter()) { last = $0 }
        #expect(
            last?.kind.rawValue == "application_submitted" && last?.principal == "r" && last?.detail == #"{"a":"b"}"#)
        #expect(try store.verifyChain(progress: nil).count == before + 1)
    }

    @Test func aLongChainVerifies() throws {
        let (folder, store) = try StoreFixture.store(jobs: 400)
        let verification = try withExtendedLifetime(folder) { try store.verifyChain(progress: nil) }
        #expect(verification.failure == nil)
        // A dataset version and its policy, then two events per job.
        #expect(verification.count == 2 + 800)
        #expect(try store.event(at: 802)?.hash == verification.headHash)
    }

    static let fields = ["at", "kind", "principal", "dataset", "job", "detail", "previous_hash", "hash"]

    /// Changing any single field of any event is found, at that event.
    @Test(arguments: fields)
    func changingAFieldIsFoundAtItsEvent(_ field: String) throws {
        let (folder, store) = try StoreFixture.store(jobs: 6)
        let count = try store.verifyChain(progress: nil).count
        let file = try StoreFixture.tamperer(folder)
        for index in 1...count {
            // Each change is committed before the store verifies, as an attacker's would be.
            let original = try file.write { db in
                let original = try String.fetchOne(
                    db, sql: "SELECT \(field) FROM audit_events WHERE idx = ?", arguments: [index])
                try db.execute(
                    sql: "UPDATE audit_events SET \(field) = ? WHERE idx = ?",
                    arguments: [(original ?? "") + "x", index])
                return original
            }
            let failure = try store.verifyChain(progress: nil).failure
            #expect(failure?.index == index, "changing \(field) of event \(index): \(String(describing: failure))")
            try file.write { db in
                try db.execute(sql: "UPDATE audit_events SET \(field) = ? WHERE idx = ?", arguments: [original, index])
            }
        }
        #expect(try store.verifyChain(progress: nil).failure == nil)
    }

    /// Someone who rewrites an event and recomputes its hash still breaks the link to the next.
    @Test func aRewrittenEventWithAFreshHashBreaksTheNextLink() throws {
        let (folder, store) = try StoreFixture.store(jobs: 3)
        try StoreFixture.tamper(folder) { db in
            let event = try #require(try store.event(at: 4))
            var forged = AuditEvent(
                index: 4, at: event.at, kind: event.kind, principal: "someone-else", dataset: event.dataset,
                job: event.job, detail: event.detail, previousHash: event.previousHash)
            forged.hash = forged.computeHash()
            try db.execute(
                sql: "UPDATE audit_events SET principal = ?, hash = ? WHERE idx = 4",
                arguments: [forged.principal, forged.hash])
        }
        let failure = try #require(try store.verifyChain(progress: nil).failure)
        #expect(failure.index == 5)
        #expect(failure.problem.contains("event 4 was rewritten"))
    }

    @Test func deletingAnEventIsFoundWhereItWas() throws {
        let (folder, store) = try StoreFixture.store(jobs: 4)
        try StoreFixture.tamper(folder) { db in try db.execute(sql: "DELETE FROM audit_events WHERE idx = 5") }
        let failure = try #require(try store.verifyChain(progress: nil).failure)
        #expect(failure.index == 5)
        #expect(failure.problem.contains("missing"))
    }

    /// Inserting an event that links correctly to the one before it, renumbering those after:
    /// the chain breaks at the first event after the inserted one.
    @Test func insertingAnEventIsFoundRightAfterIt() throws {
        let (folder, store) = try StoreFixture.store(jobs: 4)
        let before = try #require(try store.event(at: 4))
        try StoreFixture.tamper(folder) { db in
            try db.execute(sql: "UPDATE audit_events SET idx = -idx WHERE idx >= 5")
            try db.execute(sql: "UPDATE audit_events SET idx = -idx + 1 WHERE idx < 0")
            let inserted = AuditEvent(
                index: 5, at: before.at, kind: .jobRefused, principal: "nobody", dataset: nil, job: "ghost",
                detail: "{}", previousHash: before.hash)
            try db.execute(
                sql: "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    5, inserted.at, inserted.kind.rawValue, "nobody", nil, "ghost", "{}", before.hash, inserted.hash,
                ])
        }
        let failure = try #require(try store.verifyChain(progress: nil).failure)
        #expect(failure.index == 6)
    }

    @Test func swappingTwoEventsIsFoundAtTheFirst() throws {
        let (folder, store) = try StoreFixture.store(jobs: 4)
        try StoreFixture.tamper(folder) { db in
            try db.execute(sql: "UPDATE audit_events SET idx = -1 WHERE idx = 5")
            try db.execute(sql: "UPDATE audit_events SET idx = 5 WHERE idx = 6")
            try db.execute(sql: "UPDATE audit_events SET idx = 6 WHERE idx = -1")
        }
        let failure = try #require(try store.verifyChain(progress: nil).failure)
        #expect(failure.index == 5)
    }

    /// A NUL would be cut off where SQLite stores the text, leaving an event that can never
    /// verify again: the store refuses it before it is written.
    @Test func aFieldWithANulIsRefusedBeforeItBreaksTheChain() throws {
        let (folder, store) = try StoreFixture.store(jobs: 1)
        #expect(throws: ModelgateError.self) {
            try store.recordRefusal(
                JobRefusal(
                    job: "j", principal: "eve\u{0}admin", dataset: nil, datasetVersion: nil, model: nil,
                    reason: Refusal(.invalidSpec, "x")))
        }
        #expect(try withExtendedLifetime(folder) { try store.verifyChain(progress: nil) }.failure == nil)
    }

    /// Bytes hidden after a NUL in a stored field are still hashed (text is read as bytes).
    @Test func bytesHiddenAfterANulAreFound() throws {
        let (folder, store) = try StoreFixture.store(jobs: 2)
        try StoreFixture.tamper(folder) { db in
            try db.execute(
                sql: "UPDATE audit_events SET principal = CAST(principal || char(0) || 'x' AS TEXT) WHERE idx = 3")
        }
        #expect(try store.verifyChain(progress: nil).failure?.index == 3)
    }

    /// The store's own schema refuses to change or delete an event; only someone bypassing it
    /// (dropping the triggers, as the tests above do) can, and the chain catches that.
    @Test func theStoreRefusesToChangeOrDeleteEvents() throws {
        let (folder, _) = try StoreFixture.store(jobs: 1)
        let queue = try DatabaseQueue(path: folder.url.appendingPathComponent(SQLiteStore.fileName).path)
        #expect(throws: DatabaseError.self) {
            try queue.write { try $0.execute(sql: "UPDATE audit_events SET principal = 'x' WHERE idx = 1") }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { try $0.execute(sql: "DELETE FROM audit_events WHERE idx = 1") }
        }
    }
}
