import AEPOAlgorithms
import AEPOCore
import AEPOTestSupport
import AEPOTraining
import XCTest

final class TrainingConfigTests: XCTestCase {
    func testPresetFileAndOverridesApplyInOrderAndRoundTrip() throws {
        let directory = try Fixtures.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("c.json")
        try #"{"algorithm": {"name": "dapo"}, "rollout": {"n": 6, "branch": {"alpha": 0.4}}, "sft.steps": 7, "data": {"suites": ["bridge", "calc-word"]}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let config = try TrainingConfig.resolve(algorithm: nil, file: file, overrides: ["rollout.n=8", "trainer.steps=3"])
        XCTAssertEqual(config.algorithm.name, "dapo")
        XCTAssertEqual(config.algorithm.actor.clipRatioHigh, 0.28)
        XCTAssertEqual(config.algorithm.rollout.n, 8)
        XCTAssertEqual(config.algorithm.rollout.branch.alpha, 0.4)
        XCTAssertEqual(config.sft.steps, 7)
        XCTAssertEqual(config.trainer.steps, 3)
        XCTAssertEqual(config.suiteNames, ["bridge", "calc-word"])
        XCTAssertEqual(try TrainingConfig.resolve(algorithm: "grpo", file: file, overrides: []).algorithm.name, "grpo")

        let saved = directory.appendingPathComponent("resolved.json")
        try config.write(to: saved)
        let again = try TrainingConfig.resolve(algorithm: nil, file: saved, overrides: [])
        XCTAssertEqual(again, config)
    }

    func testUnknownKeysAndBadValuesNameTheKey() throws {
        func error(_ overrides: [String]) -> InputError? {
            do { _ = try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: overrides); return nil } catch { return error as? InputError }
        }
        XCTAssertEqual(error(["model.hiden_size=3"])?.field, "model.hiden_size")
        XCTAssertTrue(error(["model.hiden_size=3"])!.message.contains("model.hidden_size"))
        XCTAssertEqual(error(["sft.lr=fast"])?.field, "sft.lr")
        XCTAssertEqual(error(["model.num_kv_heads=3"])?.field, "model.num_kv_heads")
        XCTAssertEqual(error(["rollout.n=0"])?.field, "rollout.n")
        XCTAssertEqual(error(["optim.schedule=linear"])?.message, "expected one of constant, warmup, cosine, got 'linear'")
        XCTAssertEqual(error(["actor.use_kl_loss=true", "actor.kl_loss_coef=-1"])?.field, "actor.kl_loss_coef")
        XCTAssertNotNil(error(["trainer.steps"]))
        XCTAssertThrowsError(try TrainingConfig.resolve(algorithm: "ppo", file: nil, overrides: []))
    }

    /// `trainer.max_shard_size` reads a size as transformers' `max_shard_size` and writes it back as given; anything but
    /// a positive size is an error naming the key and what it expects.
    func testMaxShardSizeReadsASizeAndRefusesOthers() throws {
        XCTAssertEqual(try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: []).trainer.maxShardSize.bytes, 5_000_000_000)
        let config = try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: ["trainer.max_shard_size=4KiB"])
        XCTAssertEqual(config.trainer.maxShardSize.bytes, 4096)
        XCTAssertEqual(config.value(of: "trainer.max_shard_size"), "4KiB")
        for bad in ["5XB", "0", "-1", ""] {
            XCTAssertThrowsError(try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: ["trainer.max_shard_size=\(bad)"])) { error in
                let error = error as? InputError
                XCTAssertEqual(error?.field, "trainer.max_shard_size", bad)
                XCTAssertEqual(error?.message, "expected a positive size such as 5GB, 500MB or 1000000, got '\(bad)'")
            }
        }
    }

    /// The run's identity changes with every key but those a resume may change; a key set to its default changes nothing.
    func testRunIdentityIgnoresOnlyTheResumableKeys() throws {
        func identity(_ algorithm: String, _ overrides: [String]) throws -> String {
            try TrainingConfig.resolve(algorithm: algorithm, file: nil, overrides: overrides).runIdentity
        }
        let base = try identity("aepo", [])
        XCTAssertEqual(base.count, 16)
        XCTAssertEqual(try identity("aepo", ["sft.steps=40", "trainer.steps=7", "trainer.save_freq=3", "trainer.keep_last=5",
                                             "trainer.log_freq=9", "trainer.micro_batch_size=4", "trainer.run_dir=elsewhere",
                                             "trainer.max_shard_size=1MB"]), base)
        XCTAssertEqual(try identity("aepo", ["model.hidden_size=256", "rollout.n=\(AlgorithmPreset.aepo.config.rollout.n)"]), base)
        for changed in [["model.hidden_size=32"], ["data.benchmark=b"], ["trainer.seed=2"], ["rollout.n=16"], ["sft.lr=0.1"]] {
            XCTAssertNotEqual(try identity("aepo", changed), base, "\(changed)")
        }
        XCTAssertNotEqual(try identity("arpo", []), base)
    }
}

/// YAML configuration files: nested sections and dotted keys, errors with the file, key and line.
final class YAMLConfigTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory("yaml-config")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ text: String, name: String = "c.yaml") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func error(_ text: String, name: String = "c.yaml") throws -> InputError? {
        let url = try write(text, name: name)
        do { _ = try TrainingConfig.resolve(algorithm: nil, file: url, overrides: []); return nil } catch { return error as? InputError }
    }

    func testNestedAndDottedKeysMatchTheJSONFile() throws {
        let yaml = try write("""
            # AEPO with a wider upper clip
            algorithm:
              name: dapo
            actor: {clip_ratio_high: 0.3, ppo_epochs: 2}
            model.tie_embeddings: no
            rollout:
              n: 6
              branch:
                alpha: 0.4
            sft.steps: 7
            data.suites: [bridge, calc-word]
            model.path:
            trainer:
              run_dir: 'runs/x y'
            """)
        let json = try write(#"{"algorithm.name": "dapo", "actor": {"clip_ratio_high": 0.3, "ppo_epochs": 2}, "model.tie_embeddings": false, "rollout.n": 6, "rollout.branch.alpha": 0.4, "sft": {"steps": 7}, "data.suites": ["bridge", "calc-word"], "model.path": "", "trainer.run_dir": "runs/x y"}"#,
                             name: "c.json")
        let config = try TrainingConfig.resolve(algorithm: nil, file: yaml, overrides: ["trainer.steps=3"])
        XCTAssertEqual(config.algorithm.name, "dapo")
        XCTAssertEqual(config.algorithm.actor.clipRatioHigh, 0.3)
        XCTAssertEqual(config.algorithm.actor.ppoEpochs, 2)
        XCTAssertFalse(config.model.tieEmbeddings)
        XCTAssertEqual(config.algorithm.rollout.n, 6)
        XCTAssertEqual(config.algorithm.rollout.branch.alpha, 0.4)
        XCTAssertEqual(config.sft.steps, 7)
        XCTAssertEqual(config.trainer.steps, 3)
        XCTAssertEqual(config.suiteNames, ["bridge", "calc-word"])
        XCTAssertEqual(config.model.path, "")
        XCTAssertEqual(config.trainer.runDir, "runs/x y")
        XCTAssertEqual(try TrainingConfig.resolve(algorithm: nil, file: json, overrides: ["trainer.steps=3"]), config)
        XCTAssertEqual(try ConfigFile.read(yaml).first { $0.key == "rollout.branch.alpha" }?.line, 9)

        // The saved resolved configuration reads back through either format.
        let saved = directory.appendingPathComponent("resolved.json")
        try config.write(to: saved)
        XCTAssertEqual(try TrainingConfig.resolve(algorithm: nil, file: saved, overrides: []), config)
    }

    func testUnknownKeyNamesFileKeyAndLine() throws {
        let e = try XCTUnwrap(error("rollout:\n  n: 4\n  brnch:\n    alpha: 0.5\n"))
        XCTAssertEqual(e.field, "rollout.brnch.alpha")
        XCTAssertEqual(e.line, 4)
        XCTAssertTrue(e.source.hasSuffix("c.yaml"), e.description)
        XCTAssertTrue(e.message.contains("unknown key"), e.message)
    }

    func testBadValueNamesKeyAndLine() throws {
        let e = try XCTUnwrap(error("sft:\n  steps: 4\n  lr: fast\n"))
        XCTAssertEqual(e.field, "sft.lr")
        XCTAssertEqual(e.line, 3)
        XCTAssertEqual(e.message, "expected a finite number, got 'fast'")
        let range = try XCTUnwrap(error("\nrollout.n: 0\n"))
        XCTAssertEqual(range.field, "rollout.n")
        XCTAssertEqual(range.line, 2)
        let nested = try XCTUnwrap(error("actor:\n  clip_ratio_high: {a: 1}\n"))
        XCTAssertEqual(nested.field, "actor.clip_ratio_high.a")
        XCTAssertEqual(try XCTUnwrap(error("actor:\n  ppo_epochs: [1, {b: 2}]\n")).field, "actor.ppo_epochs")
    }

    func testKeySetTwiceIsAnError() throws {
        let e = try XCTUnwrap(error("rollout:\n  n: 4\nrollout.n: 8\n"))
        XCTAssertEqual(e.field, "rollout.n")
        XCTAssertEqual(e.line, 3)
        XCTAssertTrue(e.message.contains("line 2"), e.message)
        XCTAssertNotNil(try error("rollout:\n  n: 4\n  n: 5\n"))
    }

    func testMalformedYAMLNamesTheLine() throws {
        let e = try XCTUnwrap(error("rollout:\n  n: 4\n  branch: {alpha: 0.5\nsft.steps: 3\n"))
        XCTAssertTrue(e.message.hasPrefix("malformed YAML"), e.message)
        XCTAssertNotNil(e.line)
        XCTAssertEqual(try XCTUnwrap(error("- a\n- b\n")).message, "expected a mapping of configuration keys")
        XCTAssertEqual(try XCTUnwrap(error("")).message, "expected a mapping of configuration keys")
        let tab = try XCTUnwrap(error("rollout:\n\tn: 4\n"))
        XCTAssertEqual(tab.line, 2, tab.description)
    }
}

extension YAMLConfigTests {
    /// The sample configuration shipped in `configs/` loads, is the paper's AEPO (the preset's algorithm settings,
    /// ε_h = 0.2, λ = 0.05) and sets the budget it says.
    func testSampleConfigLoads() throws {
        let url = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("configs/aepo.yaml")
        let config = try TrainingConfig.resolve(algorithm: nil, file: url, overrides: [])
        let paper = AlgorithmPreset.aepo.config
        XCTAssertEqual(config.algorithm.name, "aepo")
        XCTAssertEqual(config.algorithm.algorithm, paper.algorithm)
        XCTAssertEqual(config.algorithm.actor, paper.actor)
        XCTAssertEqual(config.algorithm.actor.clipRatioHigh, 0.2)
        XCTAssertEqual(config.algorithm.rollout.branch, paper.rollout.branch)
        XCTAssertEqual(config.algorithm.rollout.branch.penalty, 0.05)
        XCTAssertEqual(config.algorithm.rollout.strategy, paper.rollout.strategy)
        XCTAssertTrue(config.algorithm.rollout.preMonitor)
        XCTAssertEqual(config.algorithm.rollout.n, 8)
        XCTAssertEqual(config.algorithm.data.trainBatchSize, 8)
        XCTAssertEqual(config.trainer.steps, 40)
    }
}
