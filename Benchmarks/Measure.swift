import Foundation

/// Seconds on the monotonic clock.
func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

/// The median; the mean of the two middle values for an even count. nil for no values.
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// One unit of work (one product, one attention call, one figure, ...). It returns nil to be
/// timed whole, or the seconds to count when part of it must not be (e.g. a decode's prompt).
typealias Work = () throws -> Double?

/// Per-call seconds: the mean over `inner` calls of `work`.
func sample(_ work: Work, inner: Int) throws -> Double {
    var counted = 0.0
    let start = now()
    for _ in 0..<inner {
        if let seconds = try work() { counted += seconds }
    }
    let elapsed = now() - start
    return (counted > 0 ? counted : elapsed) / Double(inner)
}

/// How many calls make one sample last about `target` seconds (at least one), from one timed call.
func calibrate(_ work: Work, target: Double = 0.02) throws -> Int {
    let once = try sample(work, inner: 1)
    guard once > 0 else { return 1000 }
    return max(1, min(100_000, Int(target / once)))
}

/// How many samples, and how long each, for one comparison.
struct Plan {
    /// Rounds of (ours, baseline) samples, alternating so both see the same machine load.
    var rounds: Int
    /// Calls per sample.
    var inner: Int
}

/// Our samples and the baseline's, taken in alternation.
struct Comparison {
    var ours: [Double]
    var baseline: [Double]?
    var baselineError: String?
}

/// How long the machine is left idle after each sample before the next one starts. OpenBLAS's
/// threads keep spinning for a while after a product returns (about 0.1 s here), and the baseline's
/// worker process stays alive between samples: without the pause our two-thread samples shared a
/// core with them. Measured on the 2-core machine: ours on two threads, 1024³, 89 GFLOP/s when
/// alternating with numpy without a pause, 137–150 alone.
let settleSeconds = 0.3

/// Takes `plan.rounds` samples of `work`, each followed by one sample of the baseline (when there
/// is one), with `settleSeconds` of idle time after each sample. Every sample, ours and the
/// baseline's alike, is preceded by as many untimed calls as it times: after the idle pause the
/// cores (virtual CPUs, on a virtual machine) wake slowly, and a sample would time that wake-up.
/// Measured on the 2-core machine, ours on two threads while alternating with numpy: 1024³ went
/// from 133 to 195 GFLOP/s with one untimed call before each sample (187 with no baseline and no
/// pauses); short products (256³) stayed at about half their speed alone until the whole
/// sample's length was warmed up. A baseline
/// error ends the baseline's part but not ours.
func compare(_ work: Work, plan: Plan, baseline: ((_ inner: Int, _ warmup: Bool) throws -> Double)?) throws -> Comparison {
    var result = Comparison(ours: [], baseline: baseline == nil ? nil : [])
    for _ in 0..<plan.rounds {
        _ = try sample(work, inner: plan.inner)
        result.ours.append(try sample(work, inner: plan.inner))
        if let baseline, result.baselineError == nil {
            Thread.sleep(forTimeInterval: settleSeconds)
            do {
                result.baseline?.append(try baseline(plan.inner, true))
                Thread.sleep(forTimeInterval: settleSeconds)
            } catch {
                result.baselineError = "\(error)"
                result.baseline = nil
            }
        }
    }
    return result
}
