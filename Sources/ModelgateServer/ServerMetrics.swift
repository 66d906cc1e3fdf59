import Prometheus

/// What `/metrics` exposes (Prometheus text format): jobs by status, job latency, worker
/// failures by reason, requests turned away.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let latency: DurationHistogram

    init() {
        latency = registry.makeDurationHistogram(
            name: "modelgate_job_duration_seconds",
            buckets: [
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
            ],
            help: "Time to answer POST /v1/jobs, admission to response")
    }

    func job(status: String) {
        registry.makeCounter(name: "modelgate_jobs_total", labels: [("status", status)], help: "Jobs by status")
            .increment()
    }

    func workerFailure(reason: String) {
        registry.makeCounter(
            name: "modelgate_worker_failures_total", labels: [("reason", reason)],
            help: "Jobs failed in their worker, by reason"
        ).increment()
    }

    func rejected(reason: String) {
        registry.makeCounter(
            name: "modelgate_jobs_rejected_total", labels: [("reason", reason)],
            help: "Jobs turned away before admission (queue full, shutting down)"
        ).increment()
    }

    var text: String { registry.emitToString() }
}
