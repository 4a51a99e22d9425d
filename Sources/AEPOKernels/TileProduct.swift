import AEPOKernelsAVX512

/// An A operand read in place by the register tiles: tile rows are rows of a row-major matrix (`stride` floats
/// apart), or its columns (depth steps `stride` floats apart: the transpose).
enum TileOperand {
    case rows(UnsafePointer<Float>, stride: Int)
    case columns(UnsafePointer<Float>, stride: Int)

    /// The operand from its row `r` on.
    func dropping(_ r: Int) -> TileOperand {
        switch self {
        case let .rows(x, stride): return .rows(x + r * stride, stride: stride)
        case let .columns(x, stride): return .columns(x + r, stride: stride)
        }
    }
}

/// `C[rows × cols] = alpha · A·B + beta · C` for one row of tiles (`rows ≤ 12`) over B's packed slivers of 16 columns,
/// sliver `j` at `b + j·16·bDepth`, straight on the register tiles (attention's products, `PackedTerms`): with `wide`
/// (AVX-512), eight rows over pairs of full slivers take the 8×32 tile and twelve rows of a row-major A over a full
/// sliver the 12×16 tile; the rest takes the 6×16 micro-kernel, six rows at a time. Every tile computes each element
/// with the same operations, so the results do not depend on which one runs.
@inline(__always)
func tileProduct(
    rows: Int, cols: Int, depth: Int, a: TileOperand,
    b: UnsafePointer<Float>, bDepth: Int, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float, wide: Bool
) {
    let (nr, mr) = (GemmBlocking.nr, GemmBlocking.mr)
    var j = 0
    if wide && rows == GemmBlocking.pairRows {
        while j + 2 * nr <= cols {
            let (first, second, tile) = (b + j * bDepth, b + (j + nr) * bDepth, c + j)
            switch a {
            case let .rows(x, stride):
                gemmEightRowPairTile(kc: depth, rows: x, lda: stride, first: first, second: second, c: tile, ldc: ldc,
                                     alpha: alpha, beta: beta)
            case let .columns(x, stride):
                gemmEightRowPairTile(kc: depth, columns: x, lda: stride, first: first, second: second, c: tile, ldc: ldc,
                                     alpha: alpha, beta: beta)
            }
            j += 2 * nr
        }
    }
    while j < cols {
        let (sliver, width) = (b + j * bDepth, min(nr, cols - j))
        if wide && rows == 2 * mr && width == nr, case let .rows(x, stride) = a {
            gemmWideTile(kc: depth, upper: x, lower: x + mr * stride, rowStride: stride, depthStride: 1,
                         b: sliver, c: c + j, ldc: ldc, alpha: alpha, beta: beta)
            j += nr
            continue
        }
        for r in stride(from: 0, to: rows, by: mr) {
            let (tile, height) = (c + r * ldc + j, min(mr, rows - r))
            switch a.dropping(r) {
            case let .rows(x, stride):
                gemmMicroKernel(kc: depth, rowsOf: x, lda: stride, b: sliver, c: tile, ldc: ldc,
                                rows: height, cols: width, alpha: alpha, beta: beta)
            case let .columns(x, stride):
                gemmMicroKernel(kc: depth, columnsOf: x, lda: stride, b: sliver, c: tile, ldc: ldc,
                                rows: height, cols: width, alpha: alpha, beta: beta)
            }
        }
        j += nr
    }
}
