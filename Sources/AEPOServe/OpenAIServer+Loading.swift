import AEPOCore
import AEPOModel
import Foundation
import Hummingbird

/// The runtime updates (`RuntimeLoading`): vLLM's `POST /v1/load_lora_adapter` `{"lora_name", "lora_path"}` and
/// `POST /v1/unload_lora_adapter` `{"lora_name"}`, and SGLang's `POST /update_weights_from_disk` `{"model_path"}`.
/// Files are read and engines built on the scheduler's thread between two decode steps; requests already running
/// finish on the weights they started with. An adapter's engine shares the base engine's packed weights (`PackedModel`)
/// and applies the adapter unmerged; its KV cache stores what the base engine's does, and its passes are as large.
extension OpenAIServer {
    func loadAdapter(_ request: Request, loading: RuntimeLoading) async throws -> Response {
        let fields = try RequestFields(body: try await body(request))
        let name = try fields.required("lora_name"), path = try fields.required("lora_path")
        guard name != modelName else {
            throw OpenAIError.invalid("lora_name", "'\(name)' is the base model's name")
        }
        let directory = try loading.resolve(path, param: "lora_path")
        let models = scheduler.models
        try await scheduler.perform {
            guard models.adapter(name) == nil else {
                throw OpenAIError.invalid("lora_name", "The lora adapter '\(name)' has already been loaded.")
            }
            let base = models.base
            let adapter: LoRAAdapter
            do {
                adapter = try PEFTAdapterFormat.load(directory: directory, model: base.config)
            } catch let error as InputError {
                throw OpenAIError.invalid("lora_path", "not an adapter of this model: \(error)")
            }
            let engine = try InferenceEngine(packed: base.packed, adapter: adapter, kvCacheDataType: base.cache.dataType,
                                             maxTokensPerPass: base.maxTokensPerPass)
            models.add(ServedModels.Adapter(engine: engine, path: directory.path), as: name)
        }
        return Self.json(.object(["object": .string("lora_adapter"), "id": .string(name), "root": .string(directory.path),
                                  "parent": .string(modelName)]))
    }

    func unloadAdapter(_ request: Request) async throws -> Response {
        let name = try RequestFields(body: try await body(request)).required("lora_name")
        let models = scheduler.models
        guard try await scheduler.perform({ models.remove(name) }) else {
            throw OpenAIError(.notFound, "The lora adapter '\(name)' cannot be found.", param: "lora_name", code: "model_not_found")
        }
        return Self.json(.object(["object": .string("lora_adapter"), "id": .string(name), "deleted": .bool(true)]))
    }

    /// Replaces the base model's weights with those in `model_path` (a Hugging Face directory of the same shape); refused
    /// while adapters are loaded (their engines run over the old weights).
    func updateWeights(_ request: Request, loading: RuntimeLoading) async throws -> Response {
        let path = try RequestFields(body: try await body(request)).required("model_path")
        let directory = try loading.resolve(path, param: "model_path")
        let models = scheduler.models
        try await scheduler.perform {
            guard models.adapters.isEmpty else {
                throw OpenAIError(.conflict, "unload the LoRA adapters (\(models.adapters.keys.sorted().joined(separator: ", "))) "
                                  + "before replacing the weights they run over", param: "model_path")
            }
            let model: Qwen3Model
            do {
                model = try Checkpoint.loadForInference(directory: directory, adapter: nil)
            } catch let error as InputError {
                throw OpenAIError.invalid("model_path", "not a model directory: \(error)")
            }
            guard model.config == models.base.config else {
                throw OpenAIError.invalid("model_path", "the weights in '\(path)' are of another shape (\(model.config)) than the "
                                          + "served model's (\(models.base.config))")
            }
            models.base = try InferenceEngine(model: model, kvCacheDataType: models.base.cache.dataType,
                                              maxTokensPerPass: models.base.maxTokensPerPass)
        }
        return Self.json(.object(["success": .bool(true), "message": .string("Succeeded to update model weights.")]))
    }
}
