import Logging
import ModelgateGateway
import ServiceLifecycle

/// Every third of a lease, marks the jobs whose lease expired interrupted: with several gateways
/// on one database, one killed mid-job leaves jobs that another finds here, never run twice
/// (their end, were the holder still alive, is refused) and never lost.
struct LeaseSweeper: Service {
    let pipeline: JobPipeline
    let seconds: Int
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(max(1, seconds) * 1000 / 3))
                guard !Task.isCancelled else { return }
                do {
                    let pipeline = pipeline
                    _ = try await APIServer.offEventLoop { try pipeline.recoverExpiredLeases() }
                } catch {
                    logger.error("expired job leases not checked", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
