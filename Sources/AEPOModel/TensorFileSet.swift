import AEPOCore
import Foundation

/// The files that together hold one set of uniquely named tensors, named after a stem (`model`, `optimizer`) as
/// transformers names a model's weights: one `<stem>.safetensors`, or shards `<stem>-0000i-of-0000n.safetensors`
/// (`ShardPlan`) that `<stem>.safetensors.index.json` lists (`weight_map`: tensor name → file name; a model's
/// weights may also be PyTorch's, `WeightFileFormat`). Opened, each tensor is found in the file that holds it.
public struct TensorFileSet {
    /// The files, one when the set is not sharded.
    public let files: [Safetensors]
    /// The file that names the set: the single file, or the index of the shards.
    public let source: URL
    /// The file holding each tensor.
    private let owners: [String: Safetensors]

    /// The file of a set that is not sharded.
    public static func singleFileName(stem: String) -> String { "\(stem).safetensors" }
    /// The index of a sharded set.
    public static func indexFileName(stem: String) -> String { "\(stem).safetensors.index.json" }

    /// The file holding the tensor `name`, if any.
    public subscript(name: String) -> Safetensors? { owners[name] }

    /// Every tensor's name.
    public var names: Dictionary<String, Safetensors>.Keys { owners.keys }

    /// Opens the set `stem` in `directory`: `<stem>.safetensors`, else the shards its index lists; an error naming both
    /// when neither is there.
    public init(stem: String, in directory: URL) throws {
        let single = directory.appendingPathComponent(Self.singleFileName(stem: stem))
        let index = directory.appendingPathComponent(Self.indexFileName(stem: stem))
        guard let set = try TensorFileSet(single: single, index: index, format: .safetensors) else {
            throw InputError("missing: expected \(single.lastPathComponent), or \(index.lastPathComponent) and its shards",
                             source: directory.path)
        }
        self = set
    }

    /// Opens `single` if it exists, else the shards listed in `index` if it exists (both files of `format`); nil when
    /// neither exists.
    init?(single: URL, index: URL, format: WeightFileFormat) throws {
        if FileManager.default.fileExists(atPath: single.path) {
            try self.init(files: [try format.open(single)], source: single)
        } else if FileManager.default.fileExists(atPath: index.path) {
            try self.init(files: try Self.shards(listedIn: index, format: format), source: index)
        } else {
            return nil
        }
    }

    /// The set of `files`; a tensor in two of them is an error.
    private init(files: [Safetensors], source: URL) throws {
        var owners: [String: Safetensors] = [:]
        for file in files {
            for name in file.tensors.keys {
                if let other = owners[name] {
                    throw InputError("tensor '\(name)' also appears in \(other.url.path)", source: file.url.path)
                }
                owners[name] = file
            }
        }
        self.files = files
        self.source = source
        self.owners = owners
    }

    /// Opens the shards listed in the index `indexURL`, checking each tensor is in the file the index says.
    private static func shards(listedIn indexURL: URL, format: WeightFileFormat) throws -> [Safetensors] {
        let directory = indexURL.deletingLastPathComponent(), indexName = indexURL.lastPathComponent
        let data: Data
        do { data = try Data(contentsOf: indexURL) } catch { throw InputError("cannot read file", source: indexURL.path) }
        let index: JSONValue
        do { index = try JSONValue.parse(data) } catch let error as JSONValue.SyntaxError {
            throw InputError(error.description, source: indexURL.path)
        }
        guard let weightMap = index.objectValue?["weight_map"]?.objectValue else {
            throw InputError("expected an object 'weight_map' of tensor name → file name", source: indexURL.path, field: "weight_map")
        }
        var fileOf: [String: String] = [:]
        for (name, value) in weightMap {
            guard let file = value.stringValue, !file.isEmpty, !file.contains("/"), file != "..", file != "." else {
                throw InputError("tensor '\(name)' maps to \(value.serialized()), expected a file name in this directory", source: indexURL.path, field: "weight_map")
            }
            fileOf[name] = file
        }
        let fileNames = Set(fileOf.values).sorted()
        let shards = try fileNames.map { try format.open(directory.appendingPathComponent($0)) }
        for (fileName, shard) in zip(fileNames, shards) {
            for name in shard.tensors.keys where fileOf[name] != fileName {
                throw InputError("tensor '\(name)' is in this shard but \(indexName) maps it to \(fileOf[name].map { "'\($0)'" } ?? "nothing")", source: shard.url.path)
            }
            for (name, file) in fileOf where file == fileName && shard.tensors[name] == nil {
                throw InputError("tensor '\(name)' is listed for this shard in \(indexName) but missing", source: shard.url.path)
            }
        }
        return shards
    }

    /// Writes `tensors` (F32, each from its own memory) as the set `stem` into `directory` (a directory being built,
    /// renamed into place afterwards): one `<stem>.safetensors` when they take at most `maxShardBytes`, else shards as
    /// transformers splits them (`ShardPlan`, in the order given) with `<stem>.safetensors.index.json`; every file
    /// carries `metadata`.
    public static func write(_ tensors: [Safetensors.Tensor], metadata: [String: String], stem: String, into directory: URL,
                             maxShardBytes: Int) throws {
        let plan = ShardPlan(byteCounts: tensors.map { 4 * $0.count }, maxShardBytes: maxShardBytes)
        guard plan.shards.count > 1 else {
            return try Safetensors.write(tensors, metadata: metadata, to: directory.appendingPathComponent(singleFileName(stem: stem)))
        }
        var weightMap: [String: JSONValue] = [:]
        for (index, shard) in plan.shards.enumerated() {
            let name = plan.fileName(index, stem: stem)
            try Safetensors.write(shard.map { tensors[$0] }, metadata: metadata, to: directory.appendingPathComponent(name))
            for tensor in shard { weightMap[tensors[tensor].name] = .string(name) }
        }
        let index = JSONValue.object(["metadata": .object(["total_size": .integer(plan.totalBytes)]), "weight_map": .object(weightMap)])
        try Data((index.serialized(indent: 2) + "\n").utf8).write(to: directory.appendingPathComponent(indexFileName(stem: stem)))
    }
}
