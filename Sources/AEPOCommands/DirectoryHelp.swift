/// How the options taking a model or an adapter directory describe what it holds, alike in every command.
enum DirectoryHelp {
    /// A Hugging Face Qwen3 model directory and the weight files read from it.
    static let model = "a Hugging Face Qwen3 model directory (config.json; model.safetensors, pytorch_model.bin, or either's shards)"
    /// A PEFT LoRA adapter directory and the weight files read from it.
    static let adapter = "a PEFT LoRA adapter directory (adapter_config.json; adapter_model.safetensors or adapter_model.bin)"
}
