import Foundation
import ModelgateColumnar

/// Progress on a terminal's standard error; silent when it is not a terminal.
enum TerminalProgress {
    static func make() -> DatasetIngest.Progress? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return { phase, fraction in
            FileHandle.standardError.write(Data("\r\(phase) \(Int(fraction * 100))%   ".utf8))
        }
    }

    /// For work counted in items (events verified, …): the count so far.
    static func counter(_ what: String) -> ((Int) -> Void)? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return { count in FileHandle.standardError.write(Data("\r\(what) \(count)   ".utf8)) }
    }

    static func finish() {
        if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
