import AEPOCore
import AEPOTokenizer
import ArgumentParser
import Foundation

/// `aepo inspect tokenize`: the ids of a text file, or (`--decode`) the text of a JSON list of ids.
struct InspectTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode a UTF-8 text file to {\"ids\": [...]} (or decode ids to {\"text\": \"...\"}) with a tokenizer.json.",
        discussion: """
            The text file is taken byte for byte (no newline is added or removed). With --decode the \
            input is JSON: either {"ids": [...]} or a bare array [...] of token ids.
            """)

    @Option(help: "A Hugging Face byte-level BPE tokenizer.json.")
    var tokenizer: String

    @Option(help: "The text file to encode (or, with --decode, the JSON ids to decode); - for standard input.")
    var input: String

    @Flag(help: "Decode token ids to text instead of encoding text.")
    var decode = false

    @Flag(help: "With --decode, leave out special tokens.")
    var skipSpecialTokens = false

    func run() throws {
        print(try output())
    }

    /// The JSON the command prints.
    func output() throws -> String {
        let model = try Tokenizer(contentsOf: URL(fileURLWithPath: tokenizer))
        let file = InputFile(input)
        if decode {
            let text: String
            do {
                text = try model.decode(try Self.ids(in: try file.read(), source: file.name, vocabularySize: model.vocabularySize),
                                        skipSpecialTokens: skipSpecialTokens)
            } catch var error as InputError where error.source == "token ids" {
                error.source = file.name
                throw error
            }
            return try JSONText.encode(["text": text])
        }
        return try JSONText.encode(["ids": model.encode(try file.text())])
    }

    /// The ids of `{"ids": [...]}` or of a bare array, each an integer in `0..<vocabularySize`.
    static func ids(in data: Data, source: String, vocabularySize: Int) throws -> [Int] {
        guard let value = try? JSONValue.parse(data) else {
            throw InputError("malformed JSON; expected {\"ids\": [...]} or [...]", source: source)
        }
        guard let items = value.objectValue?["ids"]?.arrayValue ?? value.arrayValue else {
            throw InputError("expected {\"ids\": [...]} or a bare array of token ids", source: source)
        }
        return try items.enumerated().map { index, item in
            do {
                return try item.tokenID(vocabularySize: vocabularySize)
            } catch {
                throw InputError("\(error)", source: source, field: "ids[\(index)]")
            }
        }
    }
}
