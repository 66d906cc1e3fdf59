// The restricted process that runs one job. It locks itself down before it reads a byte of
// its request (Lockdown.apply), then reads the request from stdin, maps the column files it was
// handed, runs the estimator (or a sandbox probe) and writes the raw result to stdout.
//
// Started as `modelgate-worker --fork-server`, it forks such a process for each job instead
// (WorkerForkServer). Single-threaded by design: no Dispatch and no async before lockdown, no threads after.
import ModelgateColumnFiles
import ModelgateCore
import ModelgateEstimators
import ModelgateSandbox

#if canImport(Glibc)
    import Glibc
#endif

var arguments = Array(CommandLine.arguments.dropFirst())
// A fork server returns here only in a child it forked for a job, with that job's arguments.
if arguments == [WorkerForkServer.flag] { arguments = WorkerForkServer.serve(warmUp: WarmUp.run) }
guard let settings = LockdownSettings(arguments: arguments) else {
    WorkerChannel.report(
        "usage: modelgate-worker --cpu-seconds N --memory-bytes N --descriptors N (started by modelgate)")
    exit(LockdownStep.arguments.rawValue)
}
let lockdown: LockedDown
do {
    lockdown = try Lockdown.apply(settings)
} catch {
    WorkerChannel.report("\(error.step.title): \(error.message)")
    exit(error.step.rawValue)
}

// Locked down: from here on the only ways out are stdout, stderr and the exit status.
WorkerChannel.announceLockedDown()
do {
    let request = try WorkerChannel.readRequest()
    let reply: WorkerReply
    switch request.task {
    case .plan(let plan):
        do {
            let columns = try ColumnSet(mapping: request.columns, rowCount: request.rowCount)
            var labels: MappedFile?
            if let file = request.labels {
                guard file.byteCount == request.rowCount * MemoryLayout<UInt32>.stride else {
                    throw ModelgateError(
                        "bad_request", "row labels of \(file.byteCount) bytes for \(request.rowCount) rows")
                }
                labels = try MappedFile(
                    descriptor: file.descriptor, size: file.byteCount, writable: true,
                    name: "row labels")
            }
            let pointer = labels?.base.map {
                UnsafeMutableRawPointer(mutating: $0).assumingMemoryBound(to: UInt32.self)
            }
            reply = .result(
                try Estimator.run(plan, on: columns, labels: pointer, labelled: WorkerChannel.announceLabelled))
        } catch let refusal as Refusal {
            reply = .refused(refusal)
        } catch let error as ModelgateError where error.code.rawValue == Refusal.Code.memoryLimit.rawValue {
            reply = .failed(
                Refusal(.memoryLimit, "the job's columns do not fit the policy's memory limit: \(error.message)"))
        }
    case .probe(let probe, let parent):
        reply = .probe(probe.run(parentProcess: parent))
    }
    try WorkerChannel.writeResponse(
        WorkerResponse(lockdown: lockdown.report, reply: reply, peakMemoryBytes: lockdown.peakResidentBytes()))
    exit(0)
} catch {
    WorkerChannel.report("\(error)")
    exit(WorkerExitStatus.badRequest)
}
