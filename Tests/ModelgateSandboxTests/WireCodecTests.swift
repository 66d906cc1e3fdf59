import ModelgateColumnFiles
import ModelgateCore
import ModelgateParsing
import ModelgateSandbox
import ModelgateTestSupport
import Testing

/// The pipe format between gateway and worker: what goes in comes out, and a damaged message
/// is an error, never a crash or a wrong value.
@Suite struct WireCodecTests {
    static let columns: [String: ColumnVector] = [
        "district": ColumnVector(categories: ["a", "b", nil, "a", "b", "a"]),
        "age": ColumnVector(integers: [20, 30, 40, nil, 50, 60]),
        "income": ColumnVector(numbers: [1.5, -2.25, 1e300, 4, nil, 0.1]),
        "insured": ColumnVector(booleans: [true, false, nil, true, true, false]),
    ]

    func roundTrip<T: Codable>(_ value: T) throws -> T {
        try WireCodec.decode(T.self, from: try WireCodec.encode(value))
    }

    @Test func plansAndRawResultsComeBackEqual() throws {
        let specs = [
            "model: crosstab\ndataset: survey\nrows: [district]\ncolumns: [age]\nmeasure: income\nstatistic: mean",
            "model: summary\ndataset: survey\nvariables: [income, age]\nwhere: [{ column: age, op: '>=', value: 25 }]",
            "model: histogram\ndataset: survey\nvariable: age\nbins: 4",
            "model: linear_regression\ndataset: survey\ntarget: income\nfeatures: [age, district]",
            "model: logistic_regression\ndataset: survey\ntarget: insured\nfeatures: [age]",
        ]
        for spec in specs {
            let plan = try Fixtures.policy.admit(try ModelSpec(text: spec))
            #expect(try roundTrip(plan) == plan, "\(spec)")
            let raw = try estimate(spec, Self.columns)
            let request = WorkerResponse(
                lockdown: LockdownReport(namespaces: "n", root: "r", credentials: "c", limits: "l", seccomp: "s"),
                reply: .result(raw), peakMemoryBytes: nil)
            guard case .result(let back) = try roundTrip(request).reply else {
                Issue.record("not a result")
                continue
            }
            // NaN never equals itself; compare the encodings, which are bit-exact.
            #expect(try WireCodec.encode(back) == WireCodec.encode(raw), "\(spec)")
        }
    }

    @Test func specialNumbersAndEdgeIntegersSurviveBitExact() throws {
        let values = [Double.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let back = try roundTrip(values)
        #expect(back.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try roundTrip([Int.min, Int.max, 0]) == [Int.min, Int.max, 0])
        #expect(try roundTrip([UInt64.max]) == [UInt64.max])
        #expect(try roundTrip(["", "区县", "a\u{0}b"]) == ["", "区县", "a\u{0}b"])
        #expect(try roundTrip([Int?.none, 3]) == [nil, 3])
    }

    @Test func anIntegerOutOfRangeIsAnError() throws {
        let bytes = try WireCodec.encode([Int.max])
        #expect(throws: DecodingError.self) { try WireCodec.decode([Int32].self, from: bytes) }
    }

    @Test func everyTruncationAndByteFlipIsAnErrorNotACrash() throws {
        let plan = try Fixtures.policy.admit(
            try ModelSpec(text: "model: crosstab\ndataset: survey\nrows: [district]\nmeasure: income\nstatistic: mean"))
        let request = WorkerRequest(
            rowCount: 6,
            columns: [
                HandedColumn(
                    name: "income", encoding: .numbers, width: 8, levels: [],
                    values: HandedFile(descriptor: 3, byteCount: 48), validity: nil)
            ], task: .plan(plan))
        let bytes = try WireCodec.encode(request)
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) {
                try WireCodec.decode(WorkerRequest.self, from: Array(bytes[..<length]))
            }
        }
        // A flipped byte either fails to decode or decodes to something else; it never traps.
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0xFF
            _ = try? WireCodec.decode(WorkerRequest.self, from: damaged)
        }
        // A length that claims more than the message holds is refused before anything is allocated.
        var huge = bytes
        huge.replaceSubrange(1..<9, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: (any Error).self) { try WireCodec.decode(WorkerRequest.self, from: huge) }
    }
}
