/// What the release ledger knows of measures' values, apart from counts.
///
/// The ledger's span treats every released set as revealing every function over its rows, which
/// is safe for finding small sets but too coarse for one thing: a figure withheld for what it
/// would tell of a measure (a cell of a table of means suppressed because a few people dominate
/// it, a group refused because its people share one insured status) while the group's *count* is
/// public. The count puts the group's set in the span, so a protected set there would be known
/// already and protect nothing; yet its income is not known until two income figures differ by
/// it (a summary over everyone and one over everyone outside the group).
///
/// So each released set also records the columns whose values it tells something of: every
/// column its job read, filters included (a table counting people by age over a group gives the
/// group's total age; one counting them by insured status, their insured count). Each measure
/// keeps the sets withheld for it, the sets a job's figures of it (a summary's variables, a
/// table's mean or sum, a regression's target and features; see ``ModelTask/measures``) would
/// have given: a withheld set must stay out of the span of the sets that released something of
/// that measure. Counting alone never brings it closer: a count table over the same groups tells
/// nothing of their incomes. A summary refused for one variable withholds the group for each of
/// its variables: the refusal does not say which one failed, and erring there only refuses more.
///
/// The span of one measure's sets is built when a job first touches a measure that has something
/// withheld, which is rare (a dominated cell, a refused group), and kept between jobs.
struct MeasureLedger: Sendable {
    /// For each measure, the indices (in the ledger's released sets) of the sets that released
    /// figures of it.
    private(set) var revealing: [String: Set<Int>] = [:]
    /// Sets entered before measures were recorded, taken as having released every measure.
    private(set) var revealingEvery: Set<Int> = []
    /// For each measure, the sets whose figures of it were withheld, as sorted atom lists.
    private(set) var withheld: [String: [[UInt32]]] = [:]
    private var withheldIndex: [String: Set<[UInt32]>] = [:]

    /// Indices of the sets that released figures of `measure`, in order.
    func sets(revealing measure: String) -> [Int] {
        revealing[measure, default: []].union(revealingEvery).sorted()
    }

    func reveals(_ measure: String, at index: Int) -> Bool {
        revealing[measure]?.contains(index) == true || revealingEvery.contains(index)
    }

    func withholds(_ set: [UInt32], of measure: String) -> Bool {
        withheldIndex[measure]?.contains(set) == true
    }

    mutating func reveal(_ measures: [String], at index: Int) {
        for measure in measures { revealing[measure, default: []].insert(index) }
    }

    mutating func revealEvery(at index: Int) {
        revealingEvery.insert(index)
    }

    mutating func withhold(_ set: [UInt32], of measure: String) {
        if withheldIndex[measure, default: []].insert(set).inserted { withheld[measure, default: []].append(set) }
    }

    /// The withheld sets with each atom's new siblings added (see ``ReleaseLedger``).
    mutating func grow(_ grow: ([UInt32]) -> [UInt32]) {
        withheld = withheld.mapValues { $0.map(grow) }
        withheldIndex = withheld.mapValues(Set.init)
    }
}
