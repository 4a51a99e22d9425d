import AEPOKernelsAVX512
import Foundation

/// The register tiles the packed GEMM sweeps. `base`: the 6×16 tile of 8-float vectors (AVX2 with FMA on x86-64).
/// `avx512`: on x86-64 CPUs with AVX-512, tiles of 16-float vectors: 8×32 (`gemmEightRowPairTile`) wherever eight rows
/// of an A read in place and two full 16-column slivers fit, 12×16 (`gemmWideTile`) wherever twelve rows and one full
/// sliver do, the 6×16 tile at the edges; every element is computed by the same fused multiply-adds in the
/// same order, so the results are bit for bit those of `base` — the choice changes speed only.
/// `AEPO_GEMM_KERNEL=base` keeps the 6×16 tile on any CPU (for comparisons).
public enum GemmKernel: String, Sendable, CaseIterable {
    case base, avx512

    /// The tiles `sgemm` uses: `avx512` when the CPU and the operating system support it, unless the environment
    /// says `AEPO_GEMM_KERNEL=base`.
    public static let current: GemmKernel =
        ProcessInfo.processInfo.environment["AEPO_GEMM_KERNEL"]?.lowercased() == "base" || !avx512Available ? .base : .avx512

    /// Whether this CPU executes AVX-512F instructions with the operating system saving their registers: the `avx512f`
    /// flag of Linux's `/proc/cpuinfo` (which the kernel clears when it does not manage the state), or
    /// `hw.optional.avx512f` on macOS.
    public static let avx512Available: Bool = {
        #if arch(x86_64) && os(Linux)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        return flags.split(separator: " ").contains("avx512f")
        #elseif arch(x86_64) && os(macOS)
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        return sysctlbyname("hw.optional.avx512f", &value, &size, nil, 0) == 0 && value == 1
        #else
        return false
        #endif
    }()
}
