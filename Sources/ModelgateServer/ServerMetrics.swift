import Prometheus

/// What `/metrics` exposes (Prometheus text format): jobs by status, job latency, worker
/// failures by reason, jobs turned away.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let latency: DurationHistogram

    static var jobs: MetricNameDescriptor {
        .init(namespace: "modelgate", metricName: "jobs", unitName: "total", helpText: "Jobs by status")
    }
    static var failures: MetricNameDescriptor {
        .init(
            namespace: "modelgate", metricName: "worker_failures", unitName: "total",
            helpText: "Jobs failed in their worker, by reason")
    }
    static var rejections: MetricNameDescriptor {
        .init(
            namespace: "modelgate", metricName: "jobs_rejected", unitName: "total",
            helpText: "Jobs turned away before admission (queue full, shutting down)")
    }

    init() {
        latency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "modelgate", metricName: "job_duration", unitName: "seconds",
                helpText: "Time to answer POST /v1/jobs, admission to response"),
            buckets: [
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
            ])
    }

    func job(status: String) {
        registry.makeCounter(descriptor: Self.jobs, labels: [("status", status)]).increment()
    }

    func workerFailure(reason: String) {
        registry.makeCounter(descriptor: Self.failures, labels: [("reason", reason)]).increment()
    }

    func rejected(reason: String) {
        registry.makeCounter(descriptor: Self.rejections, labels: [("reason", reason)]).increment()
    }

    var text: String { registry.emitToString() }
}
