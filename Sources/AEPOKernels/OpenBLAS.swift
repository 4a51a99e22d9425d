import Foundation

/// `cblas_sgemm` from an OpenBLAS shared library found at run time (`dlopen`), never linked at build
/// time. `sgemm` uses it only when the environment sets `AEPO_BLAS=openblas` and a library loads.
public struct OpenBLAS: Sendable {
    private typealias SgemmFunction = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32,
        Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
        Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    private typealias SetThreadsFunction = @convention(c) (Int32) -> Void

    /// The library file that was loaded, e.g. `libopenblas.so.0`.
    public let libraryName: String
    private let sgemmFunction: SgemmFunction

    /// Library names tried in order (the dynamic loader's search path applies).
    public static let libraryNames = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib"]

    /// The library `sgemm` delegates to: loaded when `AEPO_BLAS=openblas`, otherwise nil.
    public static let selected: OpenBLAS? = requested ? load() : nil

    /// Whether the environment asks for OpenBLAS (`AEPO_BLAS=openblas`).
    public static let requested: Bool = ProcessInfo.processInfo.environment["AEPO_BLAS"]?.lowercased() == "openblas"

    /// The first library of `libraryNames` that loads and exports `cblas_sgemm`, set to use
    /// `Parallel.threadCount` threads; nil when there is none.
    static func load() -> OpenBLAS? {
        for name in libraryNames {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let symbol = dlsym(handle, "cblas_sgemm") else {
                dlclose(handle)
                continue
            }
            if let setThreads = dlsym(handle, "openblas_set_num_threads") {
                unsafeBitCast(setThreads, to: SetThreadsFunction.self)(Int32(Parallel.threadCount))
            }
            return OpenBLAS(libraryName: name, sgemmFunction: unsafeBitCast(symbol, to: SgemmFunction.self))
        }
        return nil
    }

    /// `cblas_sgemm(CblasRowMajor, …)` with `sgemm`'s arguments. Returns false (doing nothing) when
    /// a dimension does not fit the library's 32-bit integers, or B is not float32.
    func sgemm(_ g: GemmOperands) -> Bool {
        guard let b = g.b.float32, let m = Int32(exactly: g.m), let n = Int32(exactly: g.n), let k = Int32(exactly: g.k),
              let lda = Int32(exactly: g.lda), let ldb = Int32(exactly: g.ldb), let ldc = Int32(exactly: g.ldc)
        else { return false }
        let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112
        sgemmFunction(rowMajor, g.transA ? trans : noTrans, g.transB ? trans : noTrans, m, n, k,
                      g.alpha, g.a, lda, b, ldb, g.beta, g.c, ldc)
        return true
    }
}
