import AEPOCore
import AEPOModel
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// Training a LoRA adapter (`model.lora.*`) on a frozen model, in SFT and RL: the base weights keep their bytes and
/// get no gradient buffer, the optimizer covers the adapter only, checkpoints hold the adapter in PEFT's layout, the
/// KL reference is the base, and the run ends with the merged model and the adapter.
final class LoRATrainingTests: XCTestCase {
    static let lora = ["model.lora.rank=4", "model.lora.alpha=8", "actor.optim.lr=1e-2", "sft.lr=1e-2"]

    func trainer(_ run: URL, phase: TrainingPhase, preset: String = "grpo", _ extra: [String] = []) throws -> Trainer {
        let config = try TrainingConfig.resolve(algorithm: preset, file: nil, overrides: TrainingFixture.settings(run: run) + Self.lora + extra)
        return try Trainer(config: config, phase: phase)
    }

    func checkFrozenBase(phase: TrainingPhase, preset: String, extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try Fixtures.temporaryDirectory("lora-frozen")
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = try trainer(run, phase: phase, preset: preset, extra)
        let adapter = try XCTUnwrap(trainer.model.adapter, file: file, line: line)
        let base = trainer.model.parameterValues.map(\.bitPattern)
        let b = adapter.entries.filter { $0.name.contains("lora_B") }
        XCTAssertEqual(trainer.optimizer.firstMoment.count, adapter.parameters.count, "AdamW's state covers the adapter only", file: file, line: line)
        try trainer.train(until: 2)
        XCTAssertEqual(trainer.model.parameterValues.map(\.bitPattern), base, "\(phase) \(preset): the base moved", file: file, line: line)
        XCTAssertEqual(trainer.model.gradients.count, 0, "no gradient buffer for the base", file: file, line: line)
        XCTAssertEqual(trainer.model.trainableGradients.count, adapter.parameters.count, file: file, line: line)
        let values = adapter.parameterValues
        XCTAssertTrue(b.contains { values[$0.offset..<($0.offset + $0.count)].contains { $0 != 0 } },
                      "\(phase) \(preset): B is still zero", file: file, line: line)
        XCTAssertEqual(trainer.optimizer.step, phase == .sft ? 2 : 2 * trainer.updatesPerStep, file: file, line: line)
    }

    func testSFTTrainsTheAdapterOnly() throws {
        try checkFrozenBase(phase: .sft, preset: "grpo", extra: ["model.lora.dropout=0.1"])
    }

    /// (The entropy bonus moves B even when every reward of a group is equal.)
    func testRLTrainsTheAdapterOnly() throws {
        try checkFrozenBase(phase: .rl, preset: "aepo", extra: ["model.lora.targets=q_proj,k_proj,o_proj,up_proj", "actor.entropy_coeff=0.01"])
    }

    /// A base whose values bfloat16 holds (those of a BF16 checkpoint) stays in bfloat16 under the adapter, in SFT and
    /// in RL (whose sampler packs it in bfloat16 and applies the adapter unmerged), and never changes; a full fine-tuning
    /// from it trains float32 weights against a bfloat16 KL reference (and packs them again at every step).
    func testBFloat16BaseStaysBFloat16AndFrozen() throws {
        let directory = try Fixtures.temporaryDirectory("lora-bf16")
        defer { try? FileManager.default.removeItem(at: directory) }
        let seeded = try trainer(directory.appendingPathComponent("seeded"), phase: .sft).model
        let values = seeded.parameterValues.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) }
        let base = directory.appendingPathComponent("base")
        try Checkpoint.save(config: seeded.config, parameters: values, to: base)
        let path = "model.path=\(base.path)"
        for phase in [TrainingPhase.sft, .rl] {
            let trainer = try trainer(directory.appendingPathComponent("\(phase)"), phase: phase, [path, "actor.entropy_coeff=0.01"])
            XCTAssertEqual(trainer.model.storage, .bfloat16)
            try trainer.train(until: 2)
            XCTAssertEqual(trainer.model.parameterValues.map(\.bitPattern), values.map(\.bitPattern), "\(phase): the base moved")
            XCTAssertEqual(trainer.model.storage, .bfloat16)
        }
        let full = try trainer(directory.appendingPathComponent("full"), phase: .rl,
                               [path, "model.lora.rank=0", "actor.use_kl_loss=true", "actor.kl_loss_coef=0.5"])
        XCTAssertEqual(full.model.storage, .float32)
        XCTAssertEqual(try XCTUnwrap(full.reference).storage, .bfloat16)
        try full.train(until: 1)
        XCTAssertNil(full.packedBase, "the weights change: no packed copy is kept")
        XCTAssertNotEqual(full.model.parameterValues, values, "full fine-tuning trains the float32 weights")
        XCTAssertEqual(try XCTUnwrap(full.reference).parameterValues, values)
    }

    /// The KL reference is the base: 0 at step 1 (B = 0), then not; no `reference/` copy is kept. The sampler decodes
    /// with the adapter unmerged over the base packed once for every step, and the training forward matches it closely
    /// (`logprob_mismatch`).
    func testKLReferenceIsTheBaseAndSamplingMatchesTraining() throws {
        let run = try Fixtures.temporaryDirectory("lora-kl")
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = try trainer(run, phase: .rl, ["actor.use_kl_loss=true", "actor.kl_loss_coef=0.5", "actor.entropy_coeff=0.01",
                                                    "actor.temperature_consistent=false"])
        XCTAssertNil(trainer.reference)
        let first = try trainer.step()
        XCTAssertEqual(first["kl_ref"], 0)
        let packed = try XCTUnwrap(trainer.packedBase)
        let second = try trainer.step()
        XCTAssertIdentical(trainer.packedBase, packed, "the second step's engine shares the first's packed base")
        XCTAssertGreaterThan(try XCTUnwrap(second["kl_ref"]), 0)
        XCTAssertLessThan(try XCTUnwrap(second["logprob_mismatch"]), 1e-4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent(Trainer.referenceDirectory).path))
    }

    /// Checkpoints hold PEFT's adapter directory (not the model); the final model is the base with the adapter merged,
    /// beside the adapter itself.
    func testCheckpointsAndFinalHoldTheAdapter() throws {
        let run = try Fixtures.temporaryDirectory("lora-files")
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = try trainer(run, phase: .sft, ["trainer.save_freq=1"])
        try trainer.train(until: 1)
        let checkpoint = try XCTUnwrap(trainer.store.latest)
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoint.path).sorted()
        XCTAssertEqual(names, [CheckpointStore.adapterDirectory, CheckpointStore.optimizerFile, CheckpointStore.stateFile])
        let adapterURL = checkpoint.appendingPathComponent(CheckpointStore.adapterDirectory)
        let saved = try PEFTAdapterFormat.load(directory: adapterURL, model: trainer.model.config)
        XCTAssertEqual(saved.parameterValues.map(\.bitPattern), try XCTUnwrap(trainer.model.adapter).parameterValues.map(\.bitPattern))
        XCTAssertEqual(saved.config, trainer.model.adapter!.config)

        let written = try trainer.saveFinal()
        XCTAssertEqual(written.map(\.lastPathComponent), [Trainer.finalDirectory, Trainer.finalAdapterDirectory])
        let merged = try Checkpoint.load(directory: written[0])
        let plain = try Qwen3Model(config: merged.config, parameters: merged.parameters)
        let sequences = [Array(trainer.examples[0].tokens.prefix(20))]
        let expected = try trainer.model.logits(for: sequences), got = try plain.logits(for: sequences)
        let difference = zip(expected.joined().joined(), got.joined().joined()).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(difference, 1e-5)
        XCTAssertTrue(FileManager.default.fileExists(atPath: written[0].appendingPathComponent(Checkpoint.tokenizerFileName).path))
        XCTAssertEqual(try PEFTAdapterFormat.load(directory: written[1], model: merged.config).parameterValues.map(\.bitPattern),
                       saved.parameterValues.map(\.bitPattern))
    }

    func testBadAdapterSettingsAreRefusedNamingTheKey() throws {
        let run = try Fixtures.temporaryDirectory("lora-bad")
        defer { try? FileManager.default.removeItem(at: run) }
        for (setting, key, message) in [("model.lora.targets=q_proj,qkv", "model.lora.targets", "unknown target module 'qkv'"),
                                        ("model.lora.rank=-1", "model.lora.rank", "≥ 0"),
                                        ("model.lora.dropout=1", "model.lora.dropout", "[0, 1)"),
                                        ("model.lora.alpha=0", "model.lora.alpha", "positive"),
                                        ("model.lora.targets=", "model.lora.targets", "at least one module")] {
            XCTAssertThrowsError(try trainer(run, phase: .sft, [setting])) { error in
                XCTAssertEqual((error as? InputError)?.field, key, "\(setting): \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(setting): \(error)")
            }
        }
        // The model's widths bound the rank (k_proj is 8 × 16 here).
        XCTAssertThrowsError(try trainer(run, phase: .sft, ["model.lora.rank=9"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "model.lora.rank", "\(error)")
            XCTAssertTrue("\(error)".contains("k_proj"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run.path), [], "nothing written")
    }
}
