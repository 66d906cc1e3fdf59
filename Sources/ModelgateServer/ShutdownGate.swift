import ServiceLifecycle

/// On graceful shutdown, closes the job slots: new jobs get 503 while running and waiting ones
/// finish, the accepted asynchronous ones included, before the service ends.
struct ShutdownGate: Service {
    let slots: JobSlots
    let asyncJobs: AsyncJobs

    func run() async throws {
        try? await gracefulShutdown()
        await slots.close()
        await asyncJobs.drain()
    }
}
