import Synchronization
import Testing
@testable import TensorCore

@Suite("Worker pool start-up")
struct WorkerPoolStartTests {
    /// A job posted the moment a pool exists, before its helper thread has run a single
    /// instruction, must still be run by that helper. The helper once read the generation counter
    /// when it started instead of assuming 0, skipped such a job, and the caller waited forever.
    /// Each new pool races its helper's start against the first job; with the bug, a hang is
    /// likely within a few dozen tries (the time limit turns it into a failure).
    @Test(.timeLimit(.minutes(1))) func aJobPostedAtOnceIsRunByBothWorkers() {
        for _ in 0..<40 {
            let pool = WorkerPool(helpers: 1)
            let ran = Atomic<Int>(0)
            pool.run(workers: 2) { worker in ran.add(1 << worker, ordering: .relaxed) }
            #expect(ran.load(ordering: .relaxed) == 0b11)
        }
    }
}
