#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A few threads that live as long as the process and run one job at a time with the caller:
/// `run(workers: 2) { worker in … }` calls the body with worker 0 on the calling thread and
/// worker 1 on a helper, and returns when both are done.
///
/// **Why not Dispatch.** Generating one token of SmolLM2 is about 120 matrix-vector products of
/// 10–60 µs each. `DispatchQueue.concurrentPerform` wakes a parked thread for every product (a
/// futex wake-up and a context switch, several microseconds, often more on a loaded machine), so
/// two threads were slower than one. Here a helper that has just finished a job keeps spinning on
/// an atomic counter for a while (`spinSeconds`, a millisecond), so the next product starts at
/// once; only a helper that has waited that long parks on a condition variable, so an idle
/// process costs no CPU.
///
/// **Why a millisecond.** The spin used to be 20,000 loads of the counter, which is 11 µs on the
/// development machine. A gap longer than that between two products (a page fault in a fresh
/// buffer, the sampling between two decoded tokens) parked the helper, and waking a parked thread
/// on a virtual machine took long enough that the caller had done most of a short product alone.
/// Measured with 256³ products on two threads after another process had run: samples at 100–110
/// GFLOP/s (one core's speed) in half the runs; with the helper spinning for a millisecond,
/// 165–211. A millisecond of spinning after the last job is nothing next to OpenBLAS's threads,
/// which spin for about 0.1 s.
///
/// **Determinism.** The pool only says *who* runs worker index w. Callers split their work by
/// worker index in a fixed way (or into pieces whose results do not depend on who computes them),
/// so results are bit-identical for any thread count.
///
/// **One job at a time.** A `run` that finds the pool busy (another thread's product, or a
/// nested call from inside a job) runs every worker index itself, one after the other: the same
/// results, just not in parallel. That keeps concurrent callers (e.g. tests running in parallel)
/// correct without a queue.
package final class WorkerPool: @unchecked Sendable {
    // @unchecked Sendable: all shared state is atomic except the mutex and condition variable,
    // which pthreads synchronises. The body behind `job` stays alive until every worker that
    // takes part has decremented `remaining`, which the owner waits for before returning.

    /// One helper per additional online processor.
    package static let shared = WorkerPool(helpers: max(0, MatmulKernel.activeProcessors - 1))

    /// The most workers a job can have: the helpers plus the calling thread.
    package var maximumWorkers: Int { helperCount + 1 }

    /// How long a helper polls for the next job before it parks.
    static let spinSeconds = 0.001
    /// How long the caller polls for its helpers to finish before it starts yielding its core.
    static let spinIterations = 20_000

    private let helperCount: Int
    private let busy = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// The address of the current job's body, and how many workers it has. Atomics, because a
    /// helper that is not part of a job may still be reading them when the next job is posted.
    private let job = Atomic<Int>(0)
    private let jobWorkers = Atomic<Int>(0)

    init(helpers: Int) {
        helperCount = helpers
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        for index in 0..<helpers { startHelper(index: index + 1) }
    }

    /// Runs `body(w)` for w in 0..<workers, at most `maximumWorkers` at once, and returns when all
    /// are done. Worker 0 runs on the calling thread. `workers` larger than the pool (or a busy
    /// pool) runs the extra indices on the calling thread too.
    package func run(workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 {
            if workers == 1 { body(0) }
            return
        }
        guard workers <= maximumWorkers,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for w in 0..<workers { body(w) }
            return
        }
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                job.store(Int(bitPattern: UnsafeRawPointer(pointer)), ordering: .sequentiallyConsistent)
                jobWorkers.store(workers, ordering: .sequentiallyConsistent)
                remaining.store(workers - 1, ordering: .sequentiallyConsistent)
                generation.add(1, ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    pthread_mutex_lock(mutex)
                    pthread_cond_broadcast(condition)
                    pthread_mutex_unlock(mutex)
                }
                body(0)
                var spins = 0
                while remaining.load(ordering: .acquiring) > 0 {
                    spins += 1
                    if spins > Self.spinIterations { sched_yield() }
                }
            }
        }
        busy.store(false, ordering: .releasing)
    }

    /// Seconds on the monotonic clock.
    static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }

    private func startHelper(index: Int) {
        let context = Unmanaged.passRetained(HelperContext(pool: self, index: index)).toOpaque()
        // pthread_t is an integer on glibc and an optional pointer on Darwin, and the start
        // routine's argument is optional on glibc only.
        #if canImport(Darwin)
        var thread: pthread_t?
        let status = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<HelperContext>.fromOpaque(raw).takeRetainedValue()
            context.pool.helperLoop(index: context.index)   // never returns: no `return nil` needed
        }, context)
        precondition(status == 0, "WorkerPool: pthread_create failed (\(status))")
        if let thread { pthread_detach(thread) }
        #else
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<HelperContext>.fromOpaque(raw!).takeRetainedValue()
            context.pool.helperLoop(index: context.index)   // never returns: no `return nil` needed
        }, context)
        precondition(status == 0, "WorkerPool: pthread_create failed (\(status))")
        pthread_detach(thread)
        #endif
    }

    private func helperLoop(index: Int) -> Never {
        // Jobs are numbered from 1 and the pool starts at generation 0, so a helper starts with
        // 0 seen. Reading the current generation here instead would lose a job posted between
        // init and this thread's first instruction: the owner would then wait for it forever
        // (seen as a hang in the test suite, where the shared pool is used the moment it exists).
        var seen = 0
        while true {
            // Wait for the next job: spin first, then park. The clock is read once every 256
            // polls (a poll is about half a nanosecond, a clock read about 20).
            var polls = 0
            var deadline = Double.infinity
            var current = generation.load(ordering: .sequentiallyConsistent)
            while current == seen {
                polls &+= 1
                var park = false
                if polls & 255 == 0 {
                    let time = Self.monotonicSeconds()
                    if deadline == .infinity { deadline = time + Self.spinSeconds }
                    park = time > deadline
                }
                if park {
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen {
                        pthread_cond_wait(condition, mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                }
                current = generation.load(ordering: .sequentiallyConsistent)
            }
            seen = current
            let workers = jobWorkers.load(ordering: .sequentiallyConsistent)
            let body = job.load(ordering: .sequentiallyConsistent)
            // If the generation moved on while we read, the job we saw was not ours (the owner
            // cannot move on without its workers): skip it and look again.
            guard generation.load(ordering: .sequentiallyConsistent) == current,
                  index < workers, let pointer = UnsafeRawPointer(bitPattern: body) else { continue }
            pointer.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
            remaining.subtract(1, ordering: .releasing)
        }
    }
}

/// What a new helper thread needs to know.
private final class HelperContext {
    let pool: WorkerPool
    let index: Int
    init(pool: WorkerPool, index: Int) {
        self.pool = pool
        self.index = index
    }
}
