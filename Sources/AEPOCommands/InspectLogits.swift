import AEPOCore
import AEPOModel
import ArgumentParser
import Foundation

/// `aepo inspect logits`: next-token logits and the mean next-token cross-entropy of a model on given ids.
struct InspectLogits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Print {\"logits\": [[[...]]], \"loss\": x} for {\"input_ids\": [[...], ...]} as transformers computes them.",
        discussion: """
            logits[b][t] is the next-token logit vector after input_ids[b][t]; loss is the mean next-token \
            cross-entropy over positions t >= 1 of all sequences (transformers with labels = input_ids). \
            The sequences must have equal lengths.
            """)

    @Option(help: "The model: \(DirectoryHelp.model).")
    var model: String

    @Option(help: "For --model: \(DirectoryHelp.adapter).")
    var adapter: String?

    @Option(help: "JSON file {\"input_ids\": [[...], ...]} of equal-length token id sequences (- for standard input).")
    var input: String

    @Flag(help: "Load weights that hold NaN or infinite values instead of refusing them.")
    var allowNonFiniteWeights = false

    func run() throws {
        print(try output())
    }

    struct Output: Encodable {
        var logits: [[[Float]]]
        var loss: Double
    }

    /// The JSON the command prints.
    func output() throws -> String {
        let network = try Checkpoint.loadForInference(directory: URL(fileURLWithPath: model), adapter: adapter.map { URL(fileURLWithPath: $0) },
                                                      allowingNonFiniteWeights: allowNonFiniteWeights)
        let sequences = try Self.inputIDs(in: InputFile(input), vocabularySize: network.config.vocabSize,
                                          maxPositions: network.config.maxPositionEmbeddings)
        let logits = try network.logits(for: sequences)
        let (logProbs, _) = try network.forward(.nextToken(sequences))
        let loss = logProbs.isEmpty ? Double.nan : -logProbs.map(Double.init).reduce(0, +) / Double(logProbs.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(Output(logits: logits, loss: loss)), as: UTF8.self)
    }

    /// The `input_ids` of `file`: a non-empty list of equal-length, non-empty lists of ids in the vocabulary.
    static func inputIDs(in file: InputFile, vocabularySize: Int, maxPositions: Int) throws -> [[Int]] {
        let path = file.name
        let root: JSONValue
        do {
            root = try JSONValue.parse(try file.read())
        } catch let error as JSONValue.SyntaxError {
            throw InputError("\(error); expected {\"input_ids\": [[...], ...]}", source: path)
        }
        guard let rows = root.objectValue?["input_ids"]?.arrayValue, !rows.isEmpty else {
            throw InputError("expected JSON {\"input_ids\": [[...], ...]} with at least one sequence", source: path)
        }
        let sequences: [[Int]] = try rows.enumerated().map { b, row in
            guard let items = row.arrayValue, !items.isEmpty else {
                throw InputError("expected a non-empty list of token ids", source: path, field: "input_ids[\(b)]")
            }
            return try items.enumerated().map { t, item in
                do {
                    return try item.tokenID(vocabularySize: vocabularySize)
                } catch {
                    throw InputError("\(error)", source: path, field: "input_ids[\(b)][\(t)]")
                }
            }
        }
        let length = sequences[0].count
        if let b = sequences.firstIndex(where: { $0.count != length }) {
            throw InputError("sequence has \(sequences[b].count) ids but input_ids[0] has \(length); lengths must be equal", source: path, field: "input_ids[\(b)]")
        }
        guard length <= maxPositions else {
            throw InputError("sequences of \(length) ids exceed the model's \(maxPositions) positions", source: path, field: "input_ids")
        }
        return sequences
    }
}
