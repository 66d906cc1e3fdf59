import Foundation
import Hummingbird
import Logging
import ModelgateCore
import ModelgateGateway
import ModelgateSandbox
import ModelgateStore

/// The gateway over HTTP: the routes of API v1 (see `openapi.yaml`), bearer tokens and roles,
/// a bounded job queue, metrics. Built on Hummingbird 2.
package struct APIServer: Sendable {
    /// Largest request body (a spec, an application): beyond it, 413.
    package static let maximumBodyBytes = 64 << 10

    package let state: URL
    package let policies: URL?
    package let store: any GatewayStore
    let pipeline: JobPipeline
    let workflow: AccessWorkflow
    let slots: JobSlots
    let asyncJobs: AsyncJobs
    let metrics = ServerMetrics()
    let logger: Logger
    /// The web console's sign-ins (``addConsoleRoutes(to:)``).
    let consoleSessions = ConsoleSessions()

    /// - Parameters:
    ///   - concurrency: jobs that run at once (default: twice the number of cores: a job's
    ///     pipeline waits part of its time, for its worker to start and its record to reach the
    ///     disk, and a core left idle meanwhile is throughput lost);
    ///   - queue: jobs that may wait for a slot before new ones get 429;
    ///   - store: where it records (default: the state folder's SQLite file);
    ///   - leaseSeconds: how long a job's lease lasts unrenewed before another gateway on the
    ///     same database marks it interrupted.
    package init(
        state: URL, policies: URL?, worker: Worker? = nil, concurrency: Int? = nil, queue: Int? = nil,
        store: (any GatewayStore)? = nil, leaseSeconds: Int = JobPipeline.defaultLeaseSeconds,
        logger: Logger = Logger(label: "modelgate.server")
    ) throws {
        self.state = state
        self.policies = policies
        self.store = try store ?? SQLiteStore(state: state, pooled: true)
        let store = self.store
        pipeline = JobPipeline(
            state: state, store: store, worker: try worker ?? Worker.locate(forkServer: true),
            leaseSeconds: leaseSeconds, logger: logger)
        workflow = AccessWorkflow(catalog: Catalog(datasets: pipeline.datasets, store: store))
        let running = concurrency ?? 2 * ProcessInfo.processInfo.activeProcessorCount
        slots = JobSlots(running: running, queued: queue ?? running * 8)
        asyncJobs = AsyncJobs(store: store, capacity: 1000, perPrincipal: 100)
        self.logger = logger
    }

    /// Marks jobs of dead processes interrupted and loads the policies folder (a policy that
    /// weakens the one in force only with `confirmWeaker`); call once at start.
    package func start(confirmWeaker: Bool = false) throws -> PolicyReload.Outcome? {
        try JobPipeline.recoverLostJobs(store: store, logger: logger)
        return try policies.map {
            try PolicyReload(state: state, store: store).load(from: $0, by: "gateway", confirmWeaker: confirmWeaker)
        }
    }

    package func router() -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: ErrorShape())
        addOperationRoutes(to: router)
        addConsoleRoutes(to: router)
        let v1 = router.group("v1").add(middleware: TokenAuthenticator(store: store))
        addCatalogRoutes(to: v1)
        addJobRoutes(to: v1)
        addAccessRoutes(to: v1)
        addDoubtRoutes(to: v1)
        addAuditRoutes(to: v1)
        addPolicyRoutes(to: v1)
        return router
    }

    /// The Hummingbird application; run it with `runService()` (graceful shutdown on SIGTERM
    /// and SIGINT: running jobs finish, new ones get 503).
    package func application(host: String, port: Int) -> some ApplicationProtocol {
        var app = Application(
            router: router(), configuration: .init(address: .hostname(host, port: port)), logger: logger)
        let slots = slots
        app.addServices(
            ShutdownGate(slots: slots, asyncJobs: asyncJobs),
            LeaseSweeper(pipeline: pipeline, seconds: pipeline.leaseSeconds, logger: logger), QueueRunner(server: self))
        return app
    }

    /// Runs blocking store work off the event loop (``ErrorShape`` turns its errors into API
    /// errors).
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.offEventLoop(work)
    }

    /// Blocking work (a store call, a job's pipeline) on a thread of Dispatch's pool.
    static func offEventLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
