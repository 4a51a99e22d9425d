/// Sequences of token ids (of different lengths; the model right-pads them) and the positions
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

    /// The longest sequence length (the padded time dimension).
    public var maxLength: Int { sequences.map(\.count).max() ?? 0 }

    /// Checks every token id and target against the vocabulary and the sequence lengths.
    func validate(vocabularySize: Int, maxPositions: Int) {
        for (b, sequence) in sequences.enumerated() {
            precondition(sequence.count <= maxPositions, "sequence \(b) has \(sequence.count) tokens, more than \(maxPositions) positions")
            for token in sequence {
                precondition(token >= 0 && token < vocabularySize, "token id \(token) in sequence \(b) is outside 0..<\(vocabularySize)")
            }
        }
        for target in targets {
            precondition(target.sequence >= 0 && target.sequence < sequences.count, "target sequence \(target.sequence) out of range")
            precondition(target.position >= 0 && target.position < sequences[target.sequence].count, "target position \(target.position) out of range")
            precondition(target.token >= 0 && target.token < vocabularySize, "target token \(target.token) is outside 0..<\(vocabularySize)")
        }
    }
}
