import ArgumentParser
import Foundation
import ModelgateColumnar
import ModelgateCore
import ModelgateSandbox
import ModelgateStore
import ModelgateTestSupport
import Testing

@testable import ModelgateCLI
@testable import ModelgateGateway

/// Jobs run in the restricted worker: what the gateway reports about it, what the policy's
/// limits do to a job, and that the gateway itself never touches the data.
@Suite struct JobWorkerTests {
    /// A demo dataset ingested under the shipped policy, with its `limits:` line replaced.
    func demo(rows: Int = 3000, limits: String? = nil) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        var policy = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("policies/household-survey.yaml"),
            encoding: .utf8)
        if let limits {
            let lines = policy.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.hasPrefix("limits:") ? "limits: \(limits)" : String($0)
            }
            policy = lines.joined(separator: "\n")
            #expect(policy.contains("limits: \(limits)"))
        }
        _ = try DemoDataset.prepare(rows: rows, policyText: policy, state: folder.url)
        return folder
    }

    static let crosstab = "model: crosstab\ndataset: household-survey\nrows: [district]\ncolumns: [sex]"

    @Test func usageIsTheWorkersOwnTimeAndMemory() throws {
        let folder = try demo()
        let pipeline = try JobPipeline(state: folder.url)
        let start = ContinuousClock.now
        let result = try pipeline.run(specText: Self.crosstab)
        let elapsed = ContinuousClock.now - start
        let usage = try #require(result.usage)
        #expect(result.status == .released)
        // A released result shows its time rounded up to tenths of a second.
        #expect(usage.wallSeconds > 0)
        #expect(Duration.seconds(usage.wallSeconds) <= elapsed + .milliseconds(100))
        #expect((usage.wallSeconds * 10).rounded() == usage.wallSeconds * 10)
        // One thread cannot use more CPU than wall-clock time.
        #expect(usage.cpuSeconds <= usage.wallSeconds)
        // The worker mapped (and populated) the two columns it read, so its peak holds them.
        let dataset = try #require(try DatasetStore(state: folder.url).open("household-survey"))
        let columnBytes = try ["district", "sex"].map { name in
            let file = dataset.folder.appendingPathComponent(try #require(dataset.manifest.column(named: name)).file)
            return try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int)
        }.reduce(0, +)
        #expect(usage.peakMemoryBytes >= columnBytes)
        // It is the worker's memory, not this process's: posix_spawn's child would otherwise be
        // charged with the resident set of the process that spawned it.
        #expect(usage.peakMemoryBytes < Self.residentBytes())
    }

    @Test func outputBeyondThePolicyLimitFailsTheJob() throws {
        let folder = try demo(limits: "{ cpuSeconds: 30, memoryMegabytes: 1024, wallSeconds: 60, outputBytes: 1024 }")
        let result = try JobPipeline(state: folder.url).run(specText: Self.crosstab)
        #expect(result.status == .failed)
        #expect(result.reason?.code == .outputTooLarge)
        #expect(result.reason?.message.contains("1024 bytes") == true)
        #expect(result.result == nil && result.disclosure == nil)
        let usage = try #require(result.usage)
        #expect(usage.rowsScanned == nil)
        #expect(usage.wallSeconds > 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.jsonText().utf8)) as? [String: Any])
        #expect(json["status"] as? String == "failed")
        #expect((json["reason"] as? [String: Any])?["code"] as? String == "output_too_large")
    }

    /// A stand-in worker whose reply is `reply`, as if the estimator's code had gone wrong and
    /// tried to smuggle data out through the channels beside the checked result.
    func pipeline(replying reply: WorkerReply, peakMemoryBytes: Int? = nil, in folder: TemporaryFolder) throws
        -> JobPipeline
    {
        let response = WorkerResponse(
            lockdown: LockdownReport(namespaces: "", root: "", credentials: "", limits: "", seccomp: ""), reply: reply,
            peakMemoryBytes: peakMemoryBytes)
        let file = folder.url.appendingPathComponent("reply.bin")
        try Data(try WireCodec.encode(response)).write(to: file)
        let worker = try folder.executable("fake-worker.sh", "#!/bin/sh\ncat '\(file.path)'\n")
        return JobPipeline(
            state: folder.url, store: try SQLiteStore(state: folder.url), worker: Worker(executable: worker.path))
    }

    @Test func aWorkersRefusalIsToldInTheGatewaysWords() throws {
        let folder = try demo()
        let smuggled = Refusal(.tooManyCells, "person P000017 has income 51234")
        let result = try pipeline(replying: .refused(smuggled), in: folder).run(specText: Self.crosstab)
        #expect(result.status == .refused)
        #expect(result.reason?.code == .tooManyCells)
        #expect(result.reason?.message.contains("51234") == false)
        #expect(result.reason?.message.contains("cells allowed") == true)
        // A code no worker sends is not passed on at all.
        let odd = try pipeline(replying: .refused(Refusal(.belowThreshold, "51234")), in: folder).run(
            specText: Self.crosstab)
        #expect(odd.status == .refused && odd.reason?.code == .crashed)
        let failed = try pipeline(replying: .failed(Refusal(.memoryLimit, "51234")), in: folder).run(
            specText: Self.crosstab)
        #expect(failed.status == .failed && failed.reason?.code == .memoryLimit)
        #expect(failed.reason?.message.contains("51234") == false)
    }

    @Test func theWorkersFiguresAreRoundedAndTheRowCountIsTheGatewaysOwn() throws {
        let folder = try demo()
        let reply = try pipeline(
            replying: .probe("not a result"), peakMemoryBytes: 51_234 + (7 << 20), in: folder
        ).run(specText: Self.crosstab)
        #expect(reply.status == .failed && reply.reason?.code == .crashed)
        let usage = try #require(reply.usage)
        #expect(usage.peakMemoryBytes == 7 << 20)
        #expect(usage.wallSeconds == (usage.wallSeconds * 1000).rounded() / 1000)
    }

    @Test func runExitsFourWhenTheWorkerFails() throws {
        let folder = try demo(limits: "{ cpuSeconds: 30, memoryMegabytes: 1024, wallSeconds: 60, outputBytes: 1024 }")
        let spec = try folder.write("spec.yaml", Self.crosstab)
        #expect(throws: ExitCode(4)) { try RunCommand.parse([spec.path, "--state", folder.url.path]).run() }
    }

    @Test func theGatewayMapsNoColumnDuringAJobButTheFeaturesTheLedgerWeighs() throws {
        let folder = try demo()
        let pipeline = try JobPipeline(state: folder.url)
        let datasets = folder.url.appendingPathComponent("datasets").resolvingSymlinksInPath().path
        let sampler = MapsSampler(watching: datasets)
        sampler.start()
        defer { sampler.stop() }
        sampler.waitForSamples(1)

        // Every example spec, one after another, while this process's mappings are sampled.
        let before = sampler.samples
        for spec in try Fixtures.exampleSpecs() { _ = try pipeline.run(specText: spec.text) }
        let during = sampler.samples - before
        #expect(during >= 1)
        // The release ledger reads the numeric features of released regressions (their sums are
        // weighted by them, see WeightedSums), and nothing else.
        let manifest = try #require(try DatasetStore(state: folder.url).open("household-survey")).manifest
        let weighed = Set(
            manifest.columns.filter { ["age", "household_size", "income"].contains($0.name) }.map(\.file))
        #expect(sampler.files.isSubset(of: weighed), "the gateway mapped \(sampler.files.subtracting(weighed))")
        #expect(!sampler.files.contains { $0.contains("district") || $0.contains("insured") })

        // The sampler does see a mapping when there is one: map a column here, on purpose.
        let dataset = try #require(try DatasetStore(state: folder.url).open("household-survey"))
        let columns = try dataset.columns(["income"])
        sampler.waitForSamples(sampler.samples + 2)
        #expect(sampler.hits > 0)
        withExtendedLifetime(columns) {}
    }

    static func residentBytes() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Reads /proc/self/maps over and over on its own thread, counting reads and those that show a
/// file under a folder.
final class MapsSampler: @unchecked Sendable {
    private let folder: String
    private let lock = NSLock()
    private var running = false
    private var count = 0
    private var found = 0
    private var seenFiles: Set<String> = []

    init(watching folder: String) { self.folder = folder }

    var samples: Int { lock.withLock { count } }
    var hits: Int { lock.withLock { found } }
    /// Names of the files in the folder seen mapped.
    var files: Set<String> { lock.withLock { seenFiles } }

    func start() {
        running = true
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                let lines = Self.readMaps().split(separator: "\n").filter { $0.contains(folder) }
                let names = lines.compactMap { $0.split(separator: "/").last.map(String.init) }
                lock.withLock {
                    count += 1
                    if !lines.isEmpty { found += 1 }
                    seenFiles.formUnion(names)
                }
            }
        }
    }

    func stop() { lock.withLock { running = false } }

    /// /proc files report size 0, so read until end of file.
    static func readMaps() -> String {
        let fd = open("/proc/self/maps", O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func waitForSamples(_ target: Int) {
        let deadline = ContinuousClock.now + .seconds(10)
        while samples < target && ContinuousClock.now < deadline { usleep(1000) }
    }
}
