import ModelgateCore

/// How both stores report a failure: a decision a store made (a ``ModelgateError``, a full
/// queue) passes as it is; anything else the database said becomes what could not be recorded
/// or read, in the store's words for it (`describe`).
package enum StoreFailure {
    package static func recording<T>(
        _ what: String, describe: (any Error) -> String = { "\($0)" }, _ body: () throws -> T
    ) throws -> T {
        do {
            return try body()
        } catch let error as ModelgateError {
            throw error
        } catch let refusal as QueuedJob.Refusal {
            throw refusal
        } catch {
            throw ModelgateError("store_write_failed", "could not record \(what): \(describe(error))")
        }
    }

    package static func reading<T>(
        _ what: String, describe: (any Error) -> String = { "\($0)" }, _ body: () throws -> T
    ) throws -> T {
        do {
            return try body()
        } catch let error as ModelgateError {
            throw error
        } catch {
            throw ModelgateError("store_read_failed", "could not read \(what): \(describe(error))")
        }
    }
}
