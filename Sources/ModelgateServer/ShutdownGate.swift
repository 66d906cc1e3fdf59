import ServiceLifecycle

/// On graceful shutdown, closes the job slots: new jobs get 503 while running ones finish.
struct ShutdownGate: Service {
    let slots: JobSlots

    func run() async throws {
        try? await gracefulShutdown()
        await slots.close()
    }
}
