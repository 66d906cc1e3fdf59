import Logging
import ModelgateGateway
import ModelgateStore
import ServiceLifecycle

/// Claims queued asynchronous jobs (the store's, whichever gateway accepted them) as slots come
/// free here, and runs them. ``claim()`` runs when a job is accepted here and when one of the
/// claimed jobs ends; as a service, every quarter second too, for the jobs other gateways
/// accepted and slots freed by synchronous jobs. Stops claiming at shutdown; the jobs it claimed
/// finish (``AsyncJobs/drain()``).
struct QueueRunner: Service {
    let server: APIServer

    func run() async throws {
        let asyncJobs = server.asyncJobs
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                asyncJobs.kick()
            }
        }
        defer { ticker.cancel() }
        await cancelWhenGracefulShutdown {
            for await _ in asyncJobs.wakeups {
                if Task.isCancelled { return }
                await claim()
            }
        }
    }

    /// Claims as many jobs as there are slots free here, and starts them.
    func claim() async {
        guard !Task.isShuttingDownGracefully else { return }
        let (store, pipeline, asyncJobs) = (server.store, server.pipeline, server.asyncJobs)
        let free = await asyncJobs.reserve(upTo: await server.slots.free)
        guard free > 0 else { return }
        let claimed: [QueuedJob]
        do {
            claimed = try await APIServer.offEventLoop {
                try store.claimQueued(runner: pipeline.runnerName, seconds: pipeline.leaseSeconds, limit: free)
            }
        } catch {
            await asyncJobs.unreserve(free)
            server.logger.error("queued jobs not claimed", metadata: ["error": "\(error)"])
            return
        }
        await asyncJobs.unreserve(free - claimed.count)
        for job in claimed {
            let server = server
            let task = Task {
                await server.runAccepted(
                    job.id, specText: job.spec, principal: job.principal, needsAgreement: job.needsAgreement,
                    key: job.idempotencyKey)
            }
            await server.asyncJobs.track(job.id, task)
        }
    }
}
