import AEPOCore
import AEPOTokenizer
import ArgumentParser
import Foundation

/// `aepo inspect train-tokenizer`: trains a byte-level BPE on text files and writes `tokenizer.json`,
/// so the tokenizer `aepo` builds can be checked against the `tokenizers` library (scripts/check_tokenizer.py).
struct InspectTrainTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-tokenizer",
        abstract: "Train a byte-level BPE tokenizer (Qwen2 pipeline) on UTF-8 text files and write tokenizer.json.")

    @Option(parsing: .upToNextOption, help: "UTF-8 text files to train on (each file is one text; - for standard input, once).")
    var input: [String]

    @Option(help: "Target vocabulary size (special tokens + 256 bytes + merges).")
    var vocabSize: Int

    @Option(name: .customLong("special-token"), help: "A special token (repeat the option for several).")
    var specialTokens: [String] = []

    @Option(help: "Stop merging when the most frequent pair occurs fewer times than this.")
    var minFrequency = 2

    @Option(help: "Where to write tokenizer.json.")
    var out: String

    func run() throws {
        let tokenizer = try trained()
        try tokenizer.write(to: URL(fileURLWithPath: out))
        print("wrote \(out): \(tokenizer.vocabularySize) tokens, \(tokenizer.model.merges.count) merges")
    }

    func trained() throws -> Tokenizer {
        let files = input.map(InputFile.init)
        guard files.filter(\.isStandardInput).count <= 1 else {
            throw InputError("standard input can be read only once", source: "--input")
        }
        let texts = try files.map { try $0.text() }
        return try BPETrainer(vocabularySize: vocabSize, specialTokens: specialTokens, minimumFrequency: minFrequency)
            .train(on: texts)
    }
}
