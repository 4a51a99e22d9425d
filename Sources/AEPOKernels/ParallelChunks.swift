extension Parallel {
    /// Number of contiguous chunks to split `count` iterations into: at most one per thread (so a
    /// chunk index can select per-thread scratch), each at least `minimumChunk` long (so tiny loops
    /// stay on one thread).
    public static func chunkCount(_ count: Int, minimumChunk: Int = 1) -> Int {
        max(1, min(effectiveThreadCount, count / max(1, minimumChunk)))
    }

    /// The `chunk`-th of `chunks` near-equal contiguous ranges covering `0..<total`.
    public static func chunkRange(_ chunk: Int, of chunks: Int, total: Int) -> Range<Int> {
        (chunk * total / chunks)..<((chunk + 1) * total / chunks)
    }

    /// Calls `body` on contiguous sub-ranges of `0..<count`, up to four per thread (so a thread
    /// slowed by another process does not hold the others up), each at least `minimumChunk` long.
    public static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = effectiveThreadCount
        let chunks = threads == 1 ? 1 : max(1, min(4 * threads, count / max(1, minimumChunk)))
        forEach(chunks) { body(chunkRange($0, of: chunks, total: count)) }
    }
}
