import Foundation

/// Makes Ctrl-C (SIGINT), SIGTERM and every other signal whose default action ends the process
/// (`terminatingSignals`: a closed terminal's SIGHUP, `tx … | head`'s SIGPIPE, SIGUSR1, …)
/// leave no half-written file behind.
///
/// Every file is written as a temporary file beside its destination and then renamed (see
/// `writeFileAtomically`), so the destination is never partial. What an interruption could
/// leave is the temporary file itself. While it exists its path is registered here. The signal
/// handler only writes the signal's number into a pipe (about all a handler may safely do); a
/// thread waiting on that pipe removes every registered file and then lets the signal end the
/// process as it normally would (status 130 for SIGINT in a shell). It holds the lock until the
/// process is gone, so no new temporary file can appear in between.
package enum InterruptCleanup {
    private static let lock = NSLock()
    /// `inFlight`, `installed` and `exitActions` are read and written only under `lock` (hence
    /// nonisolated(unsafe) is safe).
    nonisolated(unsafe) private static var inFlight: Set<String> = []
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) private static var exitActions: [@Sendable () -> Void] = []
    /// The write end of the pipe, read by the signal handler (an Int read is signal-safe).
    nonisolated(unsafe) private static var signalPipe: Int32 = -1

    /// Installs the handlers once per process (later calls do nothing). Command-line programs
    /// call it first thing; libraries never do, since the signal handling belongs to the app.
    package static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        // A parent may have started us with these signals blocked (the mask is inherited, e.g.
        // from a test runner's thread); blocked, they would wait until the process ends.
        let signals = terminatingSignals()
        var set = sigset_t()
        sigemptyset(&set)
        for signalNumber in signals { sigaddset(&set, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)   // before any thread starts: they inherit it
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }   // no pipe: keep the default behaviour
        installed = true
        signalPipe = fds[1]
        let readEnd = fds[0]
        Thread.detachNewThread {
            var number: UInt8 = 0
            while true {
                let n = read(readEnd, &number, 1)
                if n == 1 { removeInFlightFilesAndExit(Int32(number)) }
                if n == 0 || errno != EINTR { return }   // the pipe is gone: nothing more to wait for
            }
        }
        for signalNumber in signals {
            // A signal the parent set to be ignored (nohup's SIGHUP, a shell's SIGPIPE for a
            // background job) stays ignored: it would not have ended the process.
            var previous = sigaction()
            sigaction(signalNumber, nil, &previous)
            // SIG_IGN is the handler address 1 (a function pointer is not Equatable in Swift).
            // The handler's field is named differently by glibc and by Darwin.
            #if canImport(Darwin)
            let previousHandler = previous.__sigaction_u.__sa_handler
            #else
            let previousHandler = previous.__sigaction_handler.sa_handler
            #endif
            if unsafeBitCast(previousHandler, to: Int.self) == 1 { continue }
            var action = sigaction()
            let handler: @convention(c) (Int32) -> Void = { received in
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(InterruptCleanup.signalPipe, &byte, 1)
            }
            #if canImport(Darwin)
            action.__sigaction_u.__sa_handler = handler
            #else
            action.__sigaction_handler.sa_handler = handler
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Every signal whose default action terminates the process and that a program may catch.
    /// Not the ones a fault raises (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT): after a
    /// fault the process state cannot be trusted to run the clean-up thread, and model files
    /// are read with pread rather than mapped, so a truncated file no longer raises SIGBUS.
    package static func terminatingSignals() -> [Int32] {
        var signals: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2,
                                SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGSYS]
        #if os(Linux)
        signals += [SIGPOLL, SIGPWR, SIGSTKFLT]
        // The real-time signals also terminate by default. glibc reserves the first few for its
        // threads; SIGRTMIN is the first one a program may use.
        let first = Int32(__libc_current_sigrtmin()), last = Int32(__libc_current_sigrtmax())
        if first <= last { signals += Array(first...last) }
        #endif
        return signals
    }

    /// Runs `action` on the clean-up thread when a terminating signal arrives (Ctrl-C, SIGTERM, a closed terminal …), before the process
    /// ends: `tx explore` restores the terminal this way. The action must not write files.
    package static func addExitAction(_ action: @escaping @Sendable () -> Void) {
        lock.lock()
        exitActions.append(action)
        lock.unlock()
    }

    static func register(_ path: String) {
        lock.lock()
        inFlight.insert(path)
        lock.unlock()
    }

    static func unregister(_ path: String) {
        lock.lock()
        inFlight.remove(path)
        lock.unlock()
    }

    /// For the test that interrupts a write at its most delicate moment: with
    /// TX_TEST_PAUSE_BEFORE_RENAME=seconds in the environment, every write waits that long with
    /// its temporary file complete but not yet renamed. Unset, this does nothing.
    static func pauseBeforeRenameIfTesting() {
        guard let value = ProcessInfo.processInfo.environment["TX_TEST_PAUSE_BEFORE_RENAME"],
              let seconds = Double(value), seconds > 0, seconds <= 60 else { return }
        // Sleep the whole time even when a signal interrupts the sleep, as a slow disk would.
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { usleep(10_000) }
    }

    private static func removeInFlightFilesAndExit(_ signalNumber: Int32) {
        lock.lock()   // never released: the process ends below
        for path in inFlight { unlink(path) }
        for action in exitActions { action() }
        signal(signalNumber, SIG_DFL)
        raise(signalNumber)
        _exit(128 + signalNumber)   // only reached if the default action did not end the process
    }
}
