import Foundation

/// The formats of the weights in a Hugging Face model or PEFT adapter directory, in the order transformers and PEFT
/// look for them: safetensors, then PyTorch's `torch.save` files (read by `TorchCheckpoint` into the same tensor table).
enum WeightFileFormat: CaseIterable {
    case safetensors
    case pytorch

    /// A model's weights in one file.
    var modelFileName: String {
        switch self {
        case .safetensors: return Checkpoint.weightsFileName
        case .pytorch: return Checkpoint.pytorchWeightsFileName
        }
    }

    /// The index of a model's shards (`weight_map`: tensor name → file name).
    var indexFileName: String {
        switch self {
        case .safetensors: return Checkpoint.indexFileName
        case .pytorch: return Checkpoint.pytorchIndexFileName
        }
    }

    /// Every file that holds a model's weights, or the index of its shards, in the order transformers looks for them:
    /// `model.safetensors`, `model.safetensors.index.json`, `pytorch_model.bin`, `pytorch_model.bin.index.json`.
    static let modelWeightFileNames = allCases.flatMap { [$0.modelFileName, $0.indexFileName] }

    /// A PEFT adapter's weights.
    var adapterFileName: String {
        switch self {
        case .safetensors: return PEFTAdapterFormat.weightsFileName
        case .pytorch: return PEFTAdapterFormat.pytorchWeightsFileName
        }
    }

    /// Opens the weights file `url` of this format.
    func open(_ url: URL) throws -> Safetensors {
        switch self {
        case .safetensors: return try Safetensors(contentsOf: url)
        case .pytorch: return try TorchCheckpoint.read(contentsOf: url)
        }
    }
}
