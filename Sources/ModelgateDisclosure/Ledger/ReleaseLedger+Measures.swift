extension ReleaseLedger {
    /// Whether the job keeps every set withheld for a measure out of the span of the sets that
    /// released that measure (see ``MeasureLedger``); run after the check of the sets, which found
    /// no small set derivable.
    ///
    /// As for counts, a set the job withholds whose figures of the measure earlier releases
    /// already determine protects nothing and is taken out of `proposal`. Only membership matters
    /// here, not which rows are small, so the span is plain elimination in the atoms' order; it is
    /// built for each measure the job touches that has something withheld, within `limits.work`.
    func checkMeasures(_ proposal: inout Proposal, limits: Limits) -> Verdict {
        let counts = proposal.atomCounts
        var children = [[UInt32]](repeating: [], count: atomCounts.count)
        for split in proposal.splits { children[Int(split.parent)].append(split.atom) }
        // An old set in today's atoms: each atom with the atoms split from it.
        func grown(_ set: [UInt32]) -> SparseVector {
            Self.vector(proposal.splits.isEmpty ? set : set + set.flatMap { children[Int($0)] })
        }
        for measure in proposal.measures {
            let before = measures.withheld[measure] ?? []
            var fresh = proposal.valueProtected[measure] ?? []
            // Nothing new released and nothing new withheld leaves this measure as it was checked.
            guard !before.isEmpty || !fresh.isEmpty, !proposal.measured.isEmpty || !fresh.isEmpty else { continue }
            var basis = SpanBasis(columnCount: counts.count)
            for index in measures.sets(revealing: measure) {
                basis.insert(grown(released[index]))
                if basis.work > limits.work { return .saturated }
            }
            fresh.removeAll { basis.reduce(Self.vector($0)).isZero }
            proposal.valueProtected[measure] = fresh.isEmpty ? nil : fresh
            for set in proposal.measured {
                basis.insert(Self.vector(set))
                if basis.work > limits.work { return .saturated }
            }
            for set in before.map(grown) + fresh.map(Self.vector) where basis.reduce(set).isZero {
                return .disclosive(rows: set.columns.reduce(0) { $0 + counts[Int($1)] })
            }
        }
        return .safe
    }
}
