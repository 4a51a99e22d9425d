import AEPOCore
import AEPOModel
import Foundation

/// Policy sync with `rollout.backend=openai` (docs/algorithm.md §6.4): before a step's rollout the servers are brought to the policy being trained
/// (by default at every step, so that every trajectory is sampled from the current weights; with `rollout.max_staleness`
/// k only once the policy they serve is more than k updates behind); a resumed run brings them to its checkpoint's
/// policy before its first rollout.
extension Trainer {
    /// `<run>/policy/`: where the policy the servers load is written.
    public static let policyDirectory = "policy"

    /// Writes the current policy (version `state.step`) atomically as `<run>/policy/v<step>` — the adapter in PEFT's layout,
    /// or the whole weights — publishes it to every server (an adapter under the name `policy-v<step>`, the earlier
    /// versions unloaded; whole weights reloaded under the base's name), checks every server with a probe, and removes the
    /// older versions' directories. Nothing while the policy the servers serve is at most `rollout.max_staleness` updates
    /// behind.
    func syncServers(metrics: inout [String: Double]) throws {
        guard let servers, let baseName = servedBaseName else { return }
        if let published = publishedPolicy, state.step - published.version <= config.sampling.maxStaleness { return }
        let clock = Date()
        let version = state.step
        let policies = run.appendingPathComponent(Self.policyDirectory)
        let directory = policies.appendingPathComponent("v\(version)")
        // A version's directory stays until a newer one is served: the earlier ones are this trainer's last policy, or,
        // at a resume, those a killed run of this directory may have left loaded on the servers.
        let earlier = ((try? FileManager.default.contentsOfDirectory(atPath: policies.path)) ?? []).filter { $0 != directory.lastPathComponent }
        if let adapter = model.adapter {
            try PEFTAdapterFormat.save(adapter, to: directory, baseModel: config.model.path)
        } else {
            try model.withParameterValues { try Checkpoint.save(config: model.config, weights: $0, to: directory, tokenizer: tokenizerURL) }
        }
        let name = model.adapter == nil ? baseName : "policy-v\(version)"
        try servers.publish(directory, as: name, replacing: earlier.filter { $0.hasPrefix("v") }.map { "policy-" + $0 },
                            adapter: model.adapter != nil)
        publishedPolicy = (version, name)
        try checkServers(serving: name)
        for old in earlier { try? AtomicFile.remove(policies.appendingPathComponent(old)) }
        metrics["time/sync_s"] = Date().timeIntervalSince(clock)
        metrics["servers"] = Double(servers.members.count)
    }

    /// Compares every server's greedy completion of a probe prompt (the first training question) with the trainer's own
    /// `log softmax(z)` of the same tokens: a mean difference above `rollout.probe_tolerance` means the server serves another
    /// base model than `model.path`, or weights that did not load — an error naming it.
    func checkServers(serving name: String) throws {
        guard let servers else { return }
        let prompt = tokenizer.encode(questions[0].question)
        let tolerance = config.sampling.probeTolerance
        for reply in try servers.probe(model: name, prompt: prompt, maxTokens: 8) where !reply.tokens.isEmpty {
            var gap = Double.infinity  // a token outside the trainer's vocabulary
            if reply.tokens.allSatisfy({ (0..<model.config.vocabSize).contains($0) }) {
                let own = try probeLogProbs(prompt: prompt, tokens: reply.tokens)
                gap = zip(own, reply.logProbs).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(own.count)
            }
            guard gap <= tolerance else {
                throw InputError("does not serve the trainer's policy '\(name)': its log-probs of a probe differ from the trainer's by "
                                 + String(format: "%.4g", gap) + " nats per token (rollout.probe_tolerance \(tolerance)); it serves "
                                 + "another base model than model.path (\(config.model.path.isEmpty ? "a seeded initialisation" : config.model.path)), "
                                 + "or weights that did not load", source: reply.server, field: "rollout.endpoints")
            }
        }
    }

    /// The trainer's `log softmax(z)` of `tokens` following `prompt`.
    func probeLogProbs(prompt: [Int], tokens: [Int]) throws -> [Float] {
        let targets = tokens.indices.map { TokenBatch.Target(sequence: 0, position: prompt.count + $0 - 1, token: tokens[$0]) }
        return try model.forward(TokenBatch(sequences: [prompt + tokens], targets: targets)).logProbs
    }
}
