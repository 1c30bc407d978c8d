/// a + b·c for the hot kernels, as one fused multiply-add instruction when the build allows it.
///
/// **Why a build switch.** On x86-64, `addingProduct` is an FMA instruction only when the
/// compiler may assume the CPU has one (`-target-cpu native` on any x86 CPU of the last ten
/// years); otherwise it becomes a call to libm's `fmaf` per lane, about 100× slower. Swift has no
/// `#if` for CPU features, so the release scripts say it themselves: `scripts/release-flags.sh`
/// adds `-Xswiftc -DFUSED_MULTIPLY_ADD` next to `-target-cpu native` when /proc/cpuinfo lists
/// `fma`. Every arm64 CPU has FMA, so there it is always on. Without it (debug builds, the test
/// suite, a plain `swift build`) a + b·c is a multiply and an add.
///
/// **What it is worth.** On the development machine (AMD Zen 4, one 512-bit FMA per cycle) the
/// matmul micro-kernel with data in L1 reached 110 GFLOP/s with FMA and 75–86 with a multiply and
/// an add: the adds and the multiplies then compete for issue slots that one FMA does not need.
///
/// **What it changes.** An FMA rounds once, a multiply then an add twice, so a build with the
/// switch gives results that differ from one without in the last bits. Within one build every
/// kernel still gives the same bits for any thread count, and the paths that must agree with each
/// other (a lone row and the same row in a tile, four rows at once and one) all use this function.
package enum FusedMultiplyAdd {
    /// Whether this build computes `multiplyAdd` with one rounding (tx-bench prints it).
    package static var isEnabled: Bool {
#if FUSED_MULTIPLY_ADD || arch(arm64)
        return true
#else
        return false
#endif
    }
}

/// a + b·c, fused in builds with `FUSED_MULTIPLY_ADD` (see `FusedMultiplyAdd`).
///
/// `@_transparent`, not `@inline(__always)`: debug builds (the test suite) inline only
/// transparent functions, as the standard library's SIMD operators are. As a real call per
/// multiply-add, with three 64-byte vectors passed through memory, the debug matrix kernel ran
/// several times slower and the whole suite took far longer.
@_transparent
func multiplyAdd(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ c: SIMD16<Float>) -> SIMD16<Float> {
#if FUSED_MULTIPLY_ADD || arch(arm64)
    return a.addingProduct(b, c)
#else
    return a + b * c
#endif
}

/// a + b·c for one Float, rounded exactly as one lane of the SIMD16 form.
@_transparent
func multiplyAdd(_ a: Float, _ b: Float, _ c: Float) -> Float {
#if FUSED_MULTIPLY_ADD || arch(arm64)
    return a.addingProduct(b, c)
#else
    return a + b * c
#endif
}
