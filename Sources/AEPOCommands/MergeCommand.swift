import AEPOCore
import AEPOModel
import ArgumentParser
import Foundation

/// `aepo merge`: a base model with a LoRA adapter merged in, as a plain Hugging Face directory.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a PEFT LoRA adapter into its base model and write a plain Hugging Face directory.",
        discussion: """
            Every adapted weight becomes W + s·B·A (s = lora_alpha / r, or lora_alpha / √r with use_rslora). --out \
            gets the F32 weights (model.safetensors, or shards with model.safetensors.index.json above \
            --max-shard-size) beside copies of the base directory's other files (config.json, \
            generation_config.json, tokenizer files, chat template); it is written atomically, replacing what was there.
            """)

    @Option(help: "The base model: \(DirectoryHelp.model).")
    var model: String

    @Option(help: "The adapter: \(DirectoryHelp.adapter).")
    var adapter: String

    @Option(help: "The directory to write.")
    var out: String

    @Option(help: "Weights above this size are written as shards, as transformers' max_shard_size: bytes, or a number with KB, MB, GB (powers of 1000) or KiB, MiB, GiB.")
    var maxShardSize = "5GB"

    func run() throws {
        print("wrote \(try merge().path)")
    }

    /// Merges and writes; returns the directory written.
    func merge() throws -> URL {
        let base = URL(fileURLWithPath: model), destination = URL(fileURLWithPath: out)
        guard base.standardizedFileURL != destination.standardizedFileURL else {
            throw InputError("--out must differ from the base model's directory", source: "--out")
        }
        guard let maxShardBytes = Self.byteCount(maxShardSize), maxShardBytes > 0 else {
            throw InputError("expected a positive size such as 5GB, 500MB or 1000000, got '\(maxShardSize)'", source: "--max-shard-size")
        }
        var checkpoint = try Checkpoint.load(directory: base)
        try checkpoint.mergeAdapter(at: URL(fileURLWithPath: adapter))
        try checkpoint.save(to: destination, besideFilesOf: base, maxShardBytes: maxShardBytes)
        return destination
    }

    /// `text` in bytes, read as transformers reads a `max_shard_size`: a whole number of bytes, or a number followed by
    /// KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024); `nil` for anything else.
    static func byteCount(_ text: String) -> Int? {
        let units: [(String, Double)] = [("KiB", 0x1p10), ("MiB", 0x1p20), ("GiB", 0x1p30), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("B", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let (unit, scale) = units.first { trimmed.uppercased().hasSuffix($0.0.uppercased()) } ?? ("", 1)
        guard let number = Double(trimmed.dropLast(unit.count).trimmingCharacters(in: .whitespaces)), number.isFinite, number >= 0,
              number * scale < 0x1p62 else { return nil }
        return Int(number * scale)
    }
}
