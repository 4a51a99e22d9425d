extension Parallel {
    /// Number of contiguous chunks to split `count` iterations into: at most one per thread,
    /// each at least `minimumChunk` long (so tiny loops stay on one thread).
    public static func chunkCount(_ count: Int, minimumChunk: Int = 1) -> Int {
        max(1, min(effectiveThreadCount, count / max(1, minimumChunk)))
    }

    /// The `chunk`-th of `chunks` near-equal contiguous ranges covering `0..<total`.
    public static func chunkRange(_ chunk: Int, of chunks: Int, total: Int) -> Range<Int> {
        (chunk * total / chunks)..<((chunk + 1) * total / chunks)
    }

    /// Calls `body` on contiguous sub-ranges of `0..<count`, one per thread.
    public static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(count, minimumChunk: minimumChunk)
        forEach(chunks) { body(chunkRange($0, of: chunks, total: count)) }
    }
}
