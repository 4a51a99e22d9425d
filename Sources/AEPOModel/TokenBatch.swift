import AEPOCore

/// Sequences of token ids (of different lengths; the model packs them back to back, without padding) and the positions
/// at which the caller wants the log-probability of a target token and the entropy.
public struct TokenBatch: Sendable, Equatable {
    /// One requested prediction: the distribution after `sequences[sequence][position]`,
    /// scored at token `token` (for next-token training, `token = sequences[sequence][position + 1]`).
    public struct Target: Sendable, Equatable {
        public var sequence: Int
        public var position: Int
        public var token: Int

        public init(sequence: Int, position: Int, token: Int) {
            self.sequence = sequence
            self.position = position
            self.token = token
        }
    }

    public var sequences: [[Int]]
    public var targets: [Target]

    public init(sequences: [[Int]], targets: [Target]) {
        self.sequences = sequences
        self.targets = targets
    }

    /// Every next-token prediction: position `t` scored at token `t + 1`, for `t + 1 < length`.
    public static func nextToken(_ sequences: [[Int]]) -> TokenBatch {
        var targets: [Target] = []
        for (b, sequence) in sequences.enumerated() where sequence.count > 1 {
            for t in 0..<(sequence.count - 1) {
                targets.append(Target(sequence: b, position: t, token: sequence[t + 1]))
            }
        }
        return TokenBatch(sequences: sequences, targets: targets)
    }

    /// Checks every token id and target against `config`'s vocabulary and positions, and each
    /// target position against its sequence's length; throws an `InputError` naming the first problem.
    public func validate(for config: Qwen3Config) throws {
        let source = "token batch"
        for (b, sequence) in sequences.enumerated() {
            guard sequence.count <= config.maxPositionEmbeddings else {
                throw InputError("\(sequence.count) tokens exceed max_position_embeddings \(config.maxPositionEmbeddings)",
                                 source: source, field: "sequences[\(b)]")
            }
            if let t = sequence.firstIndex(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw InputError("token id \(sequence[t]) is outside the vocabulary 0..<\(config.vocabSize)",
                                 source: source, field: "sequences[\(b)][\(t)]")
            }
        }
        for (r, target) in targets.enumerated() {
            guard target.sequence >= 0 && target.sequence < sequences.count,
                  target.position >= 0 && target.position < sequences[target.sequence].count else {
                throw InputError("sequence \(target.sequence), position \(target.position) is not in the batch",
                                 source: source, field: "targets[\(r)]")
            }
            guard target.token >= 0 && target.token < config.vocabSize else {
                throw InputError("target token \(target.token) is outside the vocabulary 0..<\(config.vocabSize)",
                                 source: source, field: "targets[\(r)]")
            }
        }
    }
}
