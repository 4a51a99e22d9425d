import AEPOAgentTestSupport
import AEPOCore
import AEPOModel
import Foundation

/// A saved tool-prone model (`model`, by default `ToolProneModel.make()`) and a hand-made benchmark directory (the agent
/// fixture's pages, questions and tokenizer) under `root`, for commands that sample with the native engine.
enum ToolProneWorkspace {
    static func make(in root: URL, model: Qwen3Model? = nil) throws -> (model: URL, data: URL) {
        let modelURL = root.appendingPathComponent("model"), dataURL = root.appendingPathComponent("data")
        let model = try model ?? ToolProneModel.make()
        try Checkpoint(config: model.config, parameters: model.parameterValues).save(to: modelURL)
        try FileManager.default.createDirectory(at: dataURL, withIntermediateDirectories: true)
        try JSONLines.write(AgentFixture.pages, to: dataURL.appendingPathComponent("corpus.jsonl"))
        try JSONLines.write(AgentFixture.questions, to: dataURL.appendingPathComponent("questions.jsonl"))
        try AgentFixture.tokenizer.write(to: dataURL.appendingPathComponent("tokenizer.json"))
        return (modelURL, dataURL)
    }
}
