import AEPOModel
import Foundation

/// The engines a server runs requests on: the base model's, and one per LoRA adapter loaded at run time (vLLM's
/// runtime LoRA API), each applying its adapter unmerged over the base engine's packed weights (`PackedModel`, shared:
/// an adapter costs its own KV cache and its A and B). Read by the request handlers,
/// changed only on the scheduler's thread (`GenerationScheduler.perform`); every access is under a lock.
public final class ServedModels: @unchecked Sendable {
    /// A loaded adapter: its engine and the directory it was read from.
    public struct Adapter {
        public var engine: InferenceEngine
        public var path: String
    }

    private let lock = NSLock()
    private var current: InferenceEngine
    private var loaded: [String: Adapter] = [:]

    init(base: InferenceEngine) {
        current = base
    }

    /// The base model's engine.
    public var base: InferenceEngine {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    /// The adapters loaded, by name.
    public var adapters: [String: Adapter] { lock.withLock { loaded } }

    /// The engine of the adapter named `name`, if one is loaded.
    public func adapter(_ name: String) -> Adapter? { lock.withLock { loaded[name] } }

    /// Serves `adapter` as `name` (replacing nothing: the caller has checked the name is free).
    func add(_ adapter: Adapter, as name: String) { lock.withLock { loaded[name] = adapter } }

    /// Stops serving the adapter `name`; returns whether it was loaded.
    func remove(_ name: String) -> Bool { lock.withLock { loaded.removeValue(forKey: name) != nil } }
}
