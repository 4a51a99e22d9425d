/// Token embedding lookup: row `tokens[n]` of a `[vocabulary, width]` table.
public enum Embedding {
    /// `output[n] = table[tokens[n]]` for `count` tokens (a bfloat16 table widened to float32).
    public static func forward(output: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>, table: WeightPointer, count: Int, width: Int) {
        Parallel.forEachChunk(count, minimumChunk: 64) { range in
            for n in range {
                table.widen(from: Int(tokens[n]) * width, count: width, into: output + n * width)
            }
        }
    }

    /// `tableGradient[tokens[n]] += outputGradient[n]` (serial: tokens may repeat).
    public static func backward(tableGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, count: Int, width: Int) {
        for n in 0..<count {
            Reduction.addScaled(tableGradient + Int(tokens[n]) * width, outputGradient + n * width, 1, width)
        }
    }
}
