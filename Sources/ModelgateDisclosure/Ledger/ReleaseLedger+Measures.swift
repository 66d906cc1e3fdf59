import Synchronization

extension ReleaseLedger {
    /// Whether the job keeps every set withheld for a measure out of the span of the sets that
    /// released something of that measure (see ``MeasureLedger``); run after the check of the
    /// sets, which found no small set derivable.
    ///
    /// As for counts, a set the job withholds that earlier releases already determine protects
    /// nothing and is taken out of `proposal`; and only withheld sets not determined before the
    /// job are held against it, so that a refusal is always for what the job adds. Only
    /// membership matters here, not which rows are small, so each measure's span is plain
    /// elimination in the atoms' order. It is built when a job first touches a measure that has
    /// something withheld, kept between jobs like the span of the sets, and grown by the job.
    func checkMeasures(_ proposal: inout Proposal, limits: Limits) -> Verdict {
        let counts = proposal.atomCounts
        // New atoms come after every old one: no column moves.
        let ranks = (0..<counts.count).map { UInt32($0) }
        var kept = measureMemo.spans(generation: generation)
        let keptBefore = kept.count
        var checked: [String: SpanBasis] = [:]
        // Weighted vectors count as revealing every measure: each is a combination of regressions'
        // figures, and which measures those were is not kept with it.
        let touched =
            proposal.weighted.isEmpty
            ? proposal.measures : Array(Set(proposal.measures).union(measures.withheld.keys)).sorted()
        for measure in touched {
            // Sets withheld before, in the atoms before the job's split.
            var open = (measures.withheld[measure] ?? []).map(Self.vector)
            var fresh = proposal.valueProtected[measure] ?? []
            // Nothing new released and nothing new withheld leaves this measure as it was checked.
            guard !open.isEmpty || !fresh.isEmpty,
                !proposal.measured.isEmpty || !fresh.isEmpty || !proposal.weighted.isEmpty
            else { continue }
            var basis: SpanBasis
            if let old = kept[measure] {
                basis = old
            } else {
                basis = SpanBasis(columnCount: atomCounts.count)
                for vector in measures.sets(revealing: measure).map({ Self.vector(released[$0]) })
                    + weights.vectors.map(\.sparse)
                {
                    basis.insert(vector)
                    if basis.work > limits.work { return .saturated }
                }
                kept[measure] = basis
            }
            // The split gives each old set, like each row, its atoms' new siblings.
            if !proposal.splits.isEmpty { _ = basis.split(proposal.splits, ranks: ranks, alongWith: &open) }
            open.removeAll { basis.reduce($0).isZero }
            fresh.removeAll { basis.reduce(Self.vector($0)).isZero }
            proposal.valueProtected[measure] = fresh.isEmpty ? nil : fresh
            let start = basis.work
            for vector in proposal.measured.map(Self.vector) + proposal.weighted.map(\.sparse) {
                basis.insert(vector)
                if basis.work - start > limits.work { return .saturated }
            }
            for set in open + fresh.map(Self.vector) where basis.reduce(set).isZero {
                return .disclosive(rows: set.columns.reduce(0) { $0 + counts[Int($1)] })
            }
            checked[measure] = basis
        }
        if kept.count > keptBefore { measureMemo.keep(kept, generation: generation) }
        proposal.checkedMeasures = (generation, checked)
        return .safe
    }

    /// The measures' spans to keep after `proposal` is applied to the ledger of `generation`:
    /// those the job's check grew, and, when it split no atom, those of measures it released
    /// nothing of. (A kept span of a measure the job released but its check passed over, having
    /// nothing withheld for it then, would miss the job's sets: another job's check at the same
    /// generation may have kept one.)
    func measureSpans(after proposal: Proposal, appliedTo generation: Int) -> [String: SpanBasis]? {
        guard let (checkedAt, grown) = proposal.checkedMeasures, checkedAt == generation else { return nil }
        guard proposal.splits.isEmpty, proposal.weighted.isEmpty else { return grown }
        let untouched = measureMemo.spans(generation: generation).filter { measure, _ in
            proposal.measured.isEmpty || !proposal.measures.contains(measure)
        }
        return grown.merging(untouched) { mine, _ in mine }
    }
}

/// Each measure's span as last built or checked, for the generation it belongs to (see
/// ``SpanMemo``).
final class MeasureSpanMemo: Sendable {
    private let kept = Mutex<(generation: Int, spans: [String: SpanBasis])?>(nil)

    func spans(generation: Int) -> [String: SpanBasis] {
        kept.withLock { kept in kept?.generation == generation ? kept!.spans : [:] }
    }

    func keep(_ spans: [String: SpanBasis], generation: Int) {
        kept.withLock { $0 = (generation, spans) }
    }

    /// Entries held by the kept spans.
    var entries: Int {
        kept.withLock { kept in kept?.spans.values.reduce(0) { $0 + $1.entries } ?? 0 }
    }
}
