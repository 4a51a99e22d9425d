/// Token embedding lookup: row `tokens[n]` of a `[vocabulary, width]` table.
public enum Embedding {
    /// `output[n] = table[tokens[n]]` for `count` tokens.
    public static func forward(output: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>, table: UnsafePointer<Float>, count: Int, width: Int) {
        Parallel.forEachChunk(count, minimumChunk: 64) { range in
            for n in range {
                (output + n * width).update(from: table + Int(tokens[n]) * width, count: width)
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
