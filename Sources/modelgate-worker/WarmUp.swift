import ModelgateColumnFiles
import ModelgateCore
import ModelgateEstimators
import ModelgateSandbox

/// What a fork server does once, so that its children need not: runs every kind of estimator on
/// a few made-up rows and sends each request and reply through the wire codec, so that the
/// type metadata and protocol conformances they use are built and cached before any fork.
/// Nothing here reads data; the rows are generated.
enum WarmUp {
    static func run() {
        _ = LockdownSettings(arguments: LockdownSettings(cpuSeconds: 1, memoryBytes: 1 << 20, descriptors: 1).arguments)
        let rows = 64
        let columns = ColumnSet(
            rowCount: rows,
            columns: [
                "group": ColumnVector(categories: (0..<rows).map { ["a", "b", "c"][$0 % 3] }),
                "count": ColumnVector(integers: (0..<rows).map { $0 % 7 }),
                "amount": ColumnVector(numbers: (0..<rows).map { Double($0 * $0 % 101) / 3 }),
                "flag": ColumnVector(booleans: (0..<rows).map { $0 % 5 < 2 }),
            ])
        let planned = [
            PlannedColumn(name: "group", type: .category),
            PlannedColumn(name: "count", type: .integer, min: 0, max: 10),
            PlannedColumn(name: "amount", type: .number, min: 0, max: 100), PlannedColumn(name: "flag", type: .boolean),
        ]
        let tasks: [ModelTask] = [
            .crosstab(CrosstabTask(rows: ["group"], columns: ["flag"])),
            .crosstab(CrosstabTask(rows: ["group"], measure: "amount", statistic: .mean)),
            .summary(variables: ["amount", "count"]),
            .histogram(HistogramTask(variable: "amount", edges: [0, 10, 20, 40])),
            .linearRegression(RegressionTask(target: "amount", features: ["count", "group"])),
            .logisticRegression(RegressionTask(target: "flag", features: ["amount"])),
        ]
        let filters = [PlannedFilter(column: "count", op: .greaterOrEqual, operand: .numbers([0]))]
        var labels = [UInt32](repeating: 0, count: rows)
        for (index, task) in tasks.enumerated() {
            var plan = Plan(dataset: "warm-up", task: task, filters: filters, columns: planned, maximumCells: 1000)
            roundTrip(plan, columns, &labels)
            // Privacy mode dp reads measures in fixed point and answers with sums (the tables and
            // the summary here measure `amount` only).
            guard index < 3 else { continue }
            plan.columns[2].fixedPoint = FixedPoint(min: 0, max: 100)
            plan.task = index == 2 ? .summary(variables: ["amount"]) : task
            roundTrip(plan, columns, &labels)
        }
    }

    private static func roundTrip(_ plan: Plan, _ columns: ColumnSet, _ labels: inout [UInt32]) {
        let request = WorkerRequest(
            rowCount: columns.rowCount,
            columns: [
                HandedColumn(
                    name: "amount", encoding: .numbers, width: 8, levels: [],
                    values: HandedFile(descriptor: 3, byteCount: 8), validity: HandedFile(descriptor: 4, byteCount: 1))
            ], task: .plan(plan), labels: HandedFile(descriptor: 5, byteCount: 4))
        _ = try? WireCodec.decode(WorkerRequest.self, from: try request.framed().dropFirst(8).map { $0 })
        let reply: WorkerReply
        do {
            reply = .result(
                try labels.withUnsafeMutableBufferPointer {
                    try Estimator.run(plan, on: columns, labels: $0.baseAddress)
                })
        } catch {
            reply = .refused(error as? Refusal ?? Refusal(.crashed, "warm-up"))
        }
        let response = WorkerResponse(
            lockdown: LockdownReport(namespaces: "", root: "", credentials: "", limits: "", seccomp: ""), reply: reply,
            peakMemoryBytes: 0)
        _ = try? WireCodec.decode(WorkerResponse.self, from: try WireCodec.encode(response))
    }
}
