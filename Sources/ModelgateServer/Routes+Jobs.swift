import Foundation
import Hummingbird
import ModelgateCore
import ModelgateGateway
import ModelgateStore
import ServiceLifecycle

extension APIServer {
    /// Jobs: a researcher (within an agreement) or an owner (a dry run on its own datasets) sends
    /// a spec, JSON or YAML, as the body and gets the result document back; each lists and reads
    /// its own jobs again; an auditor reads any.
    func addJobRoutes(to v1: RouterGroup<GatewayContext>) {
        let workflow = workflow
        v1.post("jobs") { request, context in
            let principal = try context.require(.runJob)
            // The server drains first at shutdown: a job arriving meanwhile is not started.
            if Task.isShuttingDownGracefully {
                metrics.rejected(reason: "shutting_down")
                throw JobSlots.shuttingDown
            }
            let body = try await RequestBodyReader.collect(request, limit: Self.maximumBodyBytes)
            let text = String(decoding: body.readableBytesView, as: UTF8.self)
            // Only an owner's dry run reads the store to decide (whose dataset it is); a
            // researcher's job needs an agreement without a look, nor a hop to another thread.
            let needsAgreement =
                principal.role == .owner
                ? try await blocking { try workflow.jobNeedsAgreement(text, by: principal) }
                : try workflow.jobNeedsAgreement(text, by: principal)
            let pipeline = pipeline
            let start = ContinuousClock.now
            let key = try Self.idempotencyKey(request)
            if Self.prefersAsync(request), try await blocking({ pipeline.canBeQueued(text) }) {
                // Queued in the store now, run when a slot is free on any gateway; GET
                // /v1/jobs/{id} follows it. A spec that does not read, or names no dataset, is
                // answered at once below.
                let job = JobID.make()
                try await asyncJobs.accept(
                    QueuedJob(
                        id: job, principal: principal.name, spec: text, needsAgreement: needsAgreement,
                        idempotencyKey: key))
                // Claimed here at once when a slot is free (else by whichever gateway frees one).
                let runner = QueueRunner(server: self)
                Task { await runner.claim() }
                var response = try JSONBody.response(
                    ["job": job, "status": "queued", "location": "/v1/jobs/\(job)"], status: .accepted)
                response.headers[.location] = "/v1/jobs/\(job)"
                return response
            }
            let answer: JobAnswer
            do {
                answer = try await slots.run {
                    try pipeline.answer(
                        specText: text, principal: principal.name, needsAgreement: needsAgreement,
                        idempotencyKey: key)
                }
            } catch let error as APIError {
                metrics.rejected(reason: error.code)
                throw error
            }
            let result = answer.result
            metrics.latency.record(ContinuousClock.now - start)
            metrics.job(status: result.status.rawValue)
            if result.status == .failed, let code = result.reason?.code.rawValue { metrics.workerFailure(reason: code) }
            if result.status == .refused, let reason = result.reason {
                // A spec that does not parse is a bad request; a dataset that does not exist is
                // not found. Every other refusal is a decision about the job: its document.
                switch reason.code {
                case .invalidSpec, .specTooLarge, .unknownModel:
                    throw APIError.badRequest(reason.code.rawValue, reason.message)
                case .unknownDataset:
                    throw APIError(.notFound, reason.code.rawValue, reason.message)
                default: break
                }
            }
            // The same text as the stored document a GET of the job answers.
            return JSONBody.text(answer.text)
        }
        v1.post("jobs/preview") { request, context in
            let principal = try context.require(.runJob)
            let body = try await RequestBodyReader.collect(request, limit: Self.maximumBodyBytes)
            let text = String(decoding: body.readableBytesView, as: UTF8.self)
            let pipeline = pipeline
            return try JSONBody.response(
                try await blocking {
                    let needsAgreement = try workflow.jobNeedsAgreement(text, by: principal)
                    return try pipeline.preview(
                        specText: text, principal: principal.name, needsAgreement: needsAgreement)
                })
        }
        v1.post("receipts/verify") { request, context in
            // Anyone signed in may check a result they hold against the log. Why a document is
            // not the one recorded is said to whoever may read the job (its researcher, an
            // auditor); to anyone else only that it is not, so that the log cannot be probed.
            let principal = try context.require(.readCatalog)
            let body = try await RequestBodyReader.collect(request, limit: Self.maximumBodyBytes * 16)
            // Read strictly: a byte that is not UTF-8 would otherwise become U+FFFD and match.
            guard let text = String(bytes: body.readableBytesView, encoding: .utf8) else {
                throw APIError.badRequest("invalid_result", "the body is not UTF-8 text")
            }
            let document: JobResult
            do {
                document = try JobResult(jsonText: text)
            } catch {
                throw APIError.badRequest("invalid_result", "the body is not a modelgate result document (JSON)")
            }
            guard let receipt = document.receipt else {
                throw APIError.badRequest("no_receipt", "the result carries no receipt to check")
            }
            let store = store
            var problems = try await blocking {
                try AuditChecks.receiptProblems(document, receipt: receipt, in: store, asSent: text)
            }
            // Why is said only to whoever may read the job the document names, and only when the
            // event the receipt names is that job's: otherwise the answer would describe another
            // job's event.
            let readable =
                (try? await blocking {
                    _ = try workflow.job(document.job, for: principal)
                    return try store.event(at: receipt.index)?.job == document.job
                }) == true
            if !readable && !problems.isEmpty { problems = ["this is not the result the audit log recorded"] }
            return try JSONBody.response(
                ReceiptCheck(valid: problems.isEmpty, job: document.job, receipt: receipt, problems: problems))
        }
        v1.get("jobs") { request, context in
            let principal = try context.require(.readJobs)
            let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1), 1000)
            let jobs = try await blocking { try workflow.jobs(for: principal, limit: limit) }
            return try JSONBody.response([
                "jobs": jobs.map {
                    JobListing(
                        job: $0.id, principal: $0.principal, dataset: $0.dataset, model: $0.model, status: $0.status,
                        submittedAt: $0.submittedAt,
                        label: try? $0.document.map { try JobResult(jsonText: $0) }?.spec?.label)
                }
            ])
        }
        v1.get("jobs/:id") { _, context in
            let principal = try context.require(.readJobs)
            let asked = try context.parameters.require("id")
            let store = store
            let stored = { @Sendable (id: String) async throws -> ModelgateStore.StoredJob in
                try await blocking { try workflow.job(id, for: principal) }
            }
            let job: ModelgateStore.StoredJob
            do {
                job = try await stored(asked)
            } catch let error as ModelgateError where error.code == .unknownJob {
                // Not a job of the store's (yet): an asynchronous one waiting for a slot on some
                // gateway, answered by an earlier one, or ended before it was recorded; as its
                // own principal sees it (another's is unknown).
                let queued = try await blocking { try store.queuedJob(asked) }.flatMap {
                    $0.principal == principal.name ? $0 : nil
                }
                switch queued {
                case let failed? where failed.failure != nil:
                    let failure = failed.failure!
                    return try JSONBody.response(
                        AsyncFailure(
                            job: asked, status: "failed", error: .init(code: failure.code, message: failure.message)))
                case let answered? where answered.answeredBy != nil:
                    // Answered by an earlier job: that one's answer.
                    job = try await stored(answered.answeredBy!)
                case .some:
                    return try JSONBody.response(["job": asked, "status": "queued"])
                case nil:
                    // It may have been admitted and ended between the two looks: the store has
                    // it now, or it is not this caller's.
                    job = try await stored(asked)
                }
            }
            guard let document = job.document else {
                // Admitted and not yet ended: running (or interrupted, for one whose process died).
                return try JSONBody.response(
                    ["job": job.id, "status": job.status == "admitted" ? "running" : job.status])
            }
            // With its receipt, as the first answer had it.
            return JSONBody.text(try JobResult.document(document, receipt: job.receipt))
        }
    }

    /// Runs a queued asynchronous job this gateway claimed, when a slot is free, and tells
    /// `asyncJobs` how it ended.
    /// Its principal must still be enabled then. A retry of a request that is still running
    /// (the same Idempotency-Key and spec) waits for it and is answered by it, as its client
    /// means; any other error is what GET says of the job, as the synchronous request would have
    /// answered it.
    func runAccepted(_ job: String, specText: String, principal: String, needsAgreement: Bool, key: String?) async {
        let (pipeline, store) = (pipeline, store)
        let patience = ContinuousClock.now + .seconds(600)
        // From here the slots count it (running, or waiting for one).
        await asyncJobs.unreserve(1)
        // The claim is renewed from here until the job is admitted (then its lease is).
        await pipeline.holdingLease(of: job) { await runClaimed() }
        // Its slot is free: the next queued job, without waiting for the runner's tick.
        await QueueRunner(server: self).claim()
        func runClaimed() async {
            do {
                while true {
                    do {
                        let result = try await slots.run(beyondQueue: true) {
                            guard try store.principals().contains(where: { $0.name == principal && !$0.disabled })
                            else {
                                throw APIError.unauthorized(
                                    "principal '\(principal)' was disabled while the job waited; it did not run")
                            }
                            return try pipeline.run(
                                specText: specText, principal: principal, needsAgreement: needsAgreement, job: job,
                                idempotencyKey: key)
                        }
                        metrics.job(status: result.status.rawValue)
                        await asyncJobs.finish(job, answer: result.job)
                        return
                    } catch let error as ModelgateError
                        where error.code == .jobInProgress && ContinuousClock.now < patience
                    {
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
            } catch let error as APIError where error.code == JobSlots.shuttingDown.code {
                // Claimed as this gateway began to stop: left queued, for another gateway (or
                // this one's next start) once the claim expires.
                await asyncJobs.release(job)
            } catch {
                let (code, message) =
                    (error as? APIError).map { ($0.code, $0.message) }
                    ?? (error as? ModelgateError).map { ($0.code.rawValue, $0.message) }
                    ?? ("internal_error", "the job could not be run")
                logger.warning("asynchronous job failed", metadata: ["job": "\(job)", "code": "\(code)"])
                await asyncJobs.finish(job, answer: nil, failure: (code, message))
            }
        }
    }

    /// Whether the client asked for `Prefer: respond-async` (RFC 7240).
    static func prefersAsync(_ request: Request) -> Bool {
        request.headers.filter { $0.name.canonicalName == "prefer" }.contains { field in
            field.value.split(separator: ",").contains {
                $0.trimmingCharacters(in: .whitespaces).lowercased() == "respond-async"
            }
        }
    }

    /// A client's `Idempotency-Key`: 1 to 255 visible ASCII characters, or none.
    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers.first(where: { $0.name.canonicalName == "idempotency-key" })?.value else {
            return nil
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (33...126).contains($0) }) else {
            throw APIError.badRequest(
                "invalid_idempotency_key", "an Idempotency-Key is 1 to 255 visible ASCII characters")
        }
        return key
    }

    /// An asynchronous job that ended before the store recorded it: the error the synchronous
    /// request would have answered, in the same `error` envelope, with the job's status.
    struct AsyncFailure: Encodable {
        struct Failure: Encodable {
            var code: String
            var message: String
        }
        var job: String
        var status: String
        var error: Failure
    }

    /// What `POST /v1/receipts/verify` answers.
    struct ReceiptCheck: Encodable {
        var valid: Bool
        var job: String
        var receipt: Receipt
        var problems: [String]
    }

    /// A job as the list shows it: whose, on what, which model, how it ended, when, and the
    /// spec's `label` if it gave one.
    struct JobListing: Encodable {
        var job: String
        var principal: String
        var dataset: String?
        var model: String?
        var status: String
        var submittedAt: String
        var label: String?
    }
}
