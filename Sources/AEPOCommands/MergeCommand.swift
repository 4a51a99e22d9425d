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
        guard let shardSize = ShardSize(maxShardSize) else {
            throw InputError("expected \(ShardSize.expectedDescription), got '\(maxShardSize)'", source: "--max-shard-size")
        }
        var checkpoint = try Checkpoint.load(directory: base)
        try checkpoint.mergeAdapter(at: URL(fileURLWithPath: adapter))
        try checkpoint.save(to: destination, besideFilesOf: base, maxShardBytes: shardSize.bytes)
        return destination
    }

}
