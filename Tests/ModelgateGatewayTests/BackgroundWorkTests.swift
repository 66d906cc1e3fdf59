import Foundation
import Testing

@testable import ModelgateGateway

/// The thread a regression's ledger work runs on while its worker fits, and the signal it waits for.
@Suite struct BackgroundWorkTests {
    /// Each piece of work runs exactly once, on its thread or, if that has not taken it yet, in
    /// `wait()`, and gives its own value.
    @Test func eachWorkRunsOnceAndGivesItsValue() {
        let runs = Locked<[Int]>([])
        let works = (0..<200).map { index in
            BackgroundWork { () -> Int in
                runs.update { $0.append(index) }
                return index * index
            }
        }
        #expect(works.enumerated().allSatisfy { $0.element.wait() == $0.offset * $0.offset })
        #expect(runs.value.sorted() == Array(0..<200))
    }

    /// A latch says which came first, opening or abandoning; waiting blocks until one of them.
    @Test func aLatchKeepsWhatCameFirst() {
        let opened = Latch()
        opened.open()
        opened.abandon()
        #expect(opened.wait())
        let abandoned = Latch()
        abandoned.abandon()
        abandoned.open()
        #expect(!abandoned.wait())
        let later = Latch()
        let waited = BackgroundWork { later.wait() }
        Thread.sleep(forTimeInterval: 0.05)
        later.open()
        #expect(waited.wait())
    }
}
