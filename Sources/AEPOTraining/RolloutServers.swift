import AEPOAgent
import AEPOModel
import Foundation

/// The OpenAI-compatible servers RL rollouts are sampled from with `rollout.backend=openai`, kept on the trainer's
/// policy (`Trainer.syncServers`). The command line builds them from `rollout.*` (the network client lives above the
/// trainer); the trainer only calls these. A server that fails is dropped with a warning; every call throws, naming
/// each server and why, only when none is left.
public protocol RolloutServers: AnyObject {
    /// The base URLs of the servers still in use.
    var members: [String] { get }

    /// Asks every server what it serves; an unreachable one is dropped. The name the servers serve their base model
    /// under (the `model` of requests without an adapter).
    func baseModelName() throws -> String

    /// Makes every server serve the policy in `directory`: with `adapter`, the PEFT adapter there under `name` (vLLM's
    /// runtime LoRA API; `replacing`, the names of earlier policies the servers may still hold, are unloaded after);
    /// without, the whole weights there (SGLang's `/update_weights_from_disk`; `name` is then the base's). A server that
    /// still fails after its retries is dropped with a warning.
    func publish(_ directory: URL, as name: String, replacing previous: [String], adapter: Bool) throws

    /// A sampling backend over the servers whose requests name `model`, refusing replies under another name.
    func backend(model: String, sampling: SamplingSettings, topLogprobs: Int, vocabularySize: Int,
                 contextLength: Int) throws -> SamplingBackend

    /// Every server's greedy completion of `prompt` as `model`: the tokens and their `log softmax(z)` log-probs.
    func probe(model: String, prompt: [Int], maxTokens: Int) throws -> [(server: String, tokens: [Int], logProbs: [Float])]
}
