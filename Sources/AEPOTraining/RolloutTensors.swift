import AEPOAgent
import AEPOAlgorithms
import AEPOModel

/// The trajectories of a rollout batch as the policy update sees them: full token sequences (prompt then
/// response) for the training forward, and B×T matrices over response positions (T the longest response)
/// with `mask` 1 on policy-written tokens. `targets[i]` is the forward target of the i-th masked cell, row-major.
public struct RolloutTensors {
    public let sequences: [[Int]]
    public let promptLengths: [Int]
    public let mask: TokenMatrix
    /// Row-major cell index (`b·T + t`) of each trained token.
    public let cells: [Int]

    public init(_ trajectories: [Trajectory]) {
        sequences = trajectories.map { $0.promptTokens + $0.responseTokens }
        promptLengths = trajectories.map(\.promptTokens.count)
        let columns = max(1, trajectories.map(\.responseTokens.count).max() ?? 1)
        var mask = TokenMatrix(rows: trajectories.count, columns: columns)
        var cells: [Int] = []
        for (b, t) in trajectories.enumerated() {
            for (j, m) in t.lossMask.enumerated() where m == 1 {
                mask[b, j] = 1
                cells.append(b * columns + j)
            }
        }
        self.mask = mask
        self.cells = cells
    }

    private init(sequences: [[Int]], promptLengths: [Int], mask: TokenMatrix) {
        self.sequences = sequences
        self.promptLengths = promptLengths
        self.mask = mask
        cells = mask.values.indices.filter { mask.values[$0] > 0 }
    }

    /// The same sequences trained on the cells of `kept` only (a subset of `mask`: the rollout correction's rejections
    /// removed, docs/algorithm.md §5.11).
    public func restricted(to kept: TokenMatrix) -> RolloutTensors {
        precondition(kept.hasShape(of: mask) && zip(kept.values, mask.values).allSatisfy { $0 == 0 || $1 > 0 },
                     "the kept mask must be a subset of the tensors' mask")
        return RolloutTensors(sequences: sequences, promptLengths: promptLengths, mask: kept)
    }

    public var rows: Int { mask.rows }
    public var columns: Int { mask.columns }

    /// The forward batch of rows `rows` (in that order), and for each of its targets the cell in this matrix.
    public func batch(rows selected: [Int]) -> (batch: TokenBatch, cells: [Int]) {
        var targets: [TokenBatch.Target] = []
        var cellsOut: [Int] = []
        for (local, b) in selected.enumerated() {
            let prompt = promptLengths[b]
            for j in 0..<columns where mask[b, j] > 0 {
                targets.append(TokenBatch.Target(sequence: local, position: prompt + j - 1, token: sequences[b][prompt + j]))
                cellsOut.append(b * columns + j)
            }
        }
        return (TokenBatch(sequences: selected.map { sequences[$0] }, targets: targets), cellsOut)
    }

    /// The mask of `rows` alone (every other row 0).
    public func mask(rows selected: [Int]) -> TokenMatrix {
        var out = TokenMatrix(rows: rows, columns: columns)
        for b in selected {
            for j in 0..<columns { out[b, j] = mask[b, j] }
        }
        return out
    }

    /// The log-probs and entropies of the trained tokens of `rows` (default: every row) under `softmax(z/temperature)`
    /// of `model` (forward only), in chunks of `chunk` sequences; other cells are 0.
    public func evaluate(_ model: Qwen3Model, rows selected: [Int]? = nil, chunk: Int,
                         temperature: Float = 1) throws -> (logProbs: TokenMatrix, entropies: TokenMatrix) {
        var logProbs = TokenMatrix(rows: rows, columns: columns)
        var entropies = TokenMatrix(rows: rows, columns: columns)
        let ordered = selected ?? Array(0..<rows)
        let size = chunk > 0 ? chunk : max(ordered.count, 1)
        for start in stride(from: 0, to: ordered.count, by: size) {
            let (batch, cells) = batch(rows: Array(ordered[start..<min(start + size, ordered.count)]))
            guard !batch.targets.isEmpty else { continue }
            let out = try model.forward(batch, temperature: temperature)
            for (i, cell) in cells.enumerated() {
                logProbs.values[cell] = Double(out.logProbs[i])
                entropies.values[cell] = Double(out.entropies[i])
            }
        }
        return (logProbs, entropies)
    }
}
