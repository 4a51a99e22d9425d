import AEPOCore
import AEPOModel
import XCTest

/// The inference engine with a LoRA adapter applied unmerged over its packed base: the logits of the training forward
/// (`Qwen3Model.logits` with the adapter attached) for prefill (packed and `sgemm` paths), batched decode steps and
/// forks, over float32 and bfloat16 bases and several sets of adapted modules; the adapter's current values on every
/// pass; one packed base shared by engines of different adapters; no float32 copy of a bfloat16 base.
///
/// Tolerance: 1.5e-6 of the range of each row of logits (which spread over more than 2 units), about 4× the largest
/// difference measured (3.8e-7; 2.1e-6 absolute). The engine and the training forward compute the same terms, the
/// adapter's added after the base product as in training, but sum them in other orders: up to 32 rows run through
/// the packed panels, and `sgemm` blocks a pass of other rows otherwise than the training forward's batch.
final class EngineAdapterTests: XCTestCase {
    let config = Qwen3Config(vocabSize: 48, hiddenSize: 32, intermediateSize: 56, numHiddenLayers: 2, numAttentionHeads: 4,
                             numKeyValueHeads: 2, headDim: 8, maxPositionEmbeddings: 128)
    static let tolerance: Float = 1.5e-6

    /// The base's values: random, spread so that the logits spread over several units, and bfloat16 values (so that a
    /// bfloat16 base holds them exactly).
    func baseValues(seed: UInt64 = 1) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<ParameterLayout(config: config).totalCount).map { _ in
            let value = 0.5 * Float(generator.nextGaussian()) + 0.1
            return Float(bitPattern: value.bitPattern & 0xFFFF_0000)
        }
    }

    /// A base holding `values` in bfloat16 or float32.
    func base(_ values: [Float], bfloat16: Bool) throws -> Qwen3Model {
        let model = bfloat16 ? try Qwen3Model(config: config, frozenParameters: values) : try Qwen3Model(config: config, parameters: values)
        XCTAssertEqual(model.storage, bfloat16 ? .bfloat16 : .float32)
        return model
    }

    /// A rank-4 adapter on `targets` with A and B both random and nonzero.
    func adapter(_ targets: [LoRATarget], seed: UInt64 = 2) throws -> LoRAAdapter {
        let adapter = try LoRAAdapter(config: LoRAConfig(rank: 4, alpha: 8, targets: targets), model: config, seed: seed)
        var generator = SeededGenerator(seed: seed + 100)
        for i in adapter.parameters.indices { adapter.parameters[i] = 0.25 * Float(generator.nextGaussian()) }
        return adapter
    }

    /// The largest difference between two rows of logits as a fraction of the range of `expected`, which must spread.
    func difference(_ row: ArraySlice<Float>, _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(row.count, expected.count, file: file, line: line)
        let range = expected.max()! - expected.min()!
        XCTAssertGreaterThan(range, 2, "a test with flat logits could not fail", file: file, line: line)
        return zip(row, expected).map { abs($0 - $1) }.max()! / range
    }

    func row(_ logits: [Float], _ i: Int) -> ArraySlice<Float> {
        logits[i * config.vocabSize ..< (i + 1) * config.vocabSize]
    }

    /// The texts `script` runs: two sequences, and a fork of the first after 36 tokens continued by other tokens.
    var texts: [[Int]] {
        var generator = SeededGenerator(seed: 3)
        func text(_ count: Int) -> [Int] { (0..<count).map { _ in Int(generator.next() % UInt64(config.vocabSize)) } }
        let (a, b, continuation) = (text(42), text(30), text(11))
        return [a, b, Array(a[..<36]) + continuation]
    }

    /// Runs the same calls on `engine`: a prefill of 36 + 20 tokens (`sgemm`), one of 4 tokens (packed panels), a fork
    /// of the first sequence continued by 5 other tokens, then 6 batched decode steps of the three. Returns, call by
    /// call, each row's logits with the text (in `texts`) and the position they follow.
    func script(_ engine: InferenceEngine) throws -> [(logits: ArraySlice<Float>, text: Int, position: Int)] {
        let texts = self.texts
        let (first, second) = (engine.makeSequence(), engine.makeSequence())
        let prefill = try engine.prefill([(first, Array(texts[0][..<36])), (second, Array(texts[1][..<20]))])
        var out = [(row(prefill, 0), 0, 35), (row(prefill, 1), 1, 19)]
        out.append((try engine.prefill(sequence: second, tokens: Array(texts[1][20..<24]))[...], 1, 23))
        let fork = engine.fork(first)
        out.append((try engine.prefill(sequence: fork, tokens: Array(texts[2][36..<41]))[...], 2, 40))
        for t in 0..<6 {
            let sequences = [first, second, fork], positions = [36 + t, 24 + t, 41 + t]
            let logits = try engine.decodeStep(sequences: sequences, tokens: (0..<3).map { texts[$0][positions[$0]] })
            out += (0..<3).map { (row(logits, $0), $0, positions[$0]) }
        }
        for s in [first, second, fork] { engine.release(s) }
        return out
    }

    /// The largest difference of `script(engine)`'s rows from `reference`'s training forward over `texts`, relative to
    /// each row's range.
    func worstDifference(_ engine: InferenceEngine, from reference: Qwen3Model, file: StaticString = #filePath,
                         line: UInt = #line) throws -> Float {
        let expected = try reference.logits(for: texts)
        return try script(engine).map { difference($0.logits, expected[$0.text][$0.position], file: file, line: line) }.max()!
    }

    func testUnmergedAdapterGivesTheTrainingForwardsLogits() throws {
        let values = baseValues()
        for bfloat16 in [false, true] {
            for targets: [LoRATarget] in [LoRATarget.allCases, [.query, .value], [.key], [.up], [.output, .gate, .down]] {
                let model = try base(values, bfloat16: bfloat16)
                try model.attach(try adapter(targets))
                let engine = try InferenceEngine(model: model)
                XCTAssertIdentical(engine.adapter, model.adapter)
                let worst = try worstDifference(engine, from: model)
                XCTAssertLessThan(worst, Self.tolerance, "\(targets), bfloat16 \(bfloat16)")
                // The adapter matters: it moves the logits by more than 1 % of their range.
                let unadapted = try worstDifference(try InferenceEngine(model: try base(values, bfloat16: bfloat16)), from: model)
                XCTAssertGreaterThan(unadapted, 0.01, "\(targets), bfloat16 \(bfloat16)")
            }
        }
    }

    /// An engine kept across a change of the adapter's values (an optimizer update) computes with the new values: a new
    /// sequence gets a fresh engine's logits bit for bit, and the changed model's training-forward logits.
    func testAKeptEngineSeesTheAdaptersNewValues() throws {
        let model = try base(baseValues(), bfloat16: true)
        let adapter = try adapter(LoRATarget.allCases)
        try model.attach(adapter)
        let kept = try InferenceEngine(model: model)
        let before = try script(kept).map { Array($0.logits) }
        var generator = SeededGenerator(seed: 7)
        for i in adapter.parameters.indices { adapter.parameters[i] -= 0.05 * Float(generator.nextGaussian()) }
        let after = try script(kept)
        let fresh = try script(try InferenceEngine(model: model))
        XCTAssertEqual(after.map { $0.logits.map(\.bitPattern) }, fresh.map { $0.logits.map(\.bitPattern) })
        XCTAssertLessThan(try worstDifference(kept, from: model), Self.tolerance)
        let moved = zip(before, after).map { old, new in zip(old, new.logits).map { abs($0 - $1) }.max()! }.max()!
        XCTAssertGreaterThan(moved, 0.1, "the update changes the logits")
    }

    /// Engines over one packed base with different adapters (and none), called in turn, each give their own model's
    /// logits; they share the packed weights rather than copying them.
    func testEnginesSharingAPackedBase() throws {
        let values = baseValues()
        let shared = try base(values, bfloat16: true)
        let packed = try PackedModel(model: shared)
        let adapters = [try adapter([.query, .key, .down], seed: 4), try adapter([.value, .output, .gate, .up], seed: 5), nil]
        let engines = try adapters.map { try InferenceEngine(packed: packed, adapter: $0) }
        let references = try adapters.map { adapter in
            let model = try base(values, bfloat16: true)
            if let adapter { try model.attach(adapter) }
            return model
        }
        // Interleaved: each engine's script runs between the others'.
        let runs = try engines.map(script)
        for (engine, (rows, reference)) in zip(engines, zip(runs, references)) {
            XCTAssertIdentical(engine.packed, packed)
            XCTAssertIdentical(engine.model, shared)
            let expected = try reference.logits(for: texts)
            XCTAssertLessThan(rows.map { difference($0.logits, expected[$0.text][$0.position]) }.max()!, Self.tolerance)
        }
        XCTAssertNotEqual(runs[0].map { Array($0.logits) }, runs[1].map { Array($0.logits) })
    }

    /// An adapted engine over a bfloat16 base packs the base as the un-adapted one does: in bfloat16, half float32's bytes.
    func testAnAdaptedBFloat16EngineHoldsNoFloat32Copy() throws {
        let values = baseValues()
        let model = try base(values, bfloat16: true)
        let plain = try InferenceEngine(model: model)
        try model.attach(try adapter(LoRATarget.allCases))
        let adapted = try InferenceEngine(model: model)
        XCTAssertNotNil(adapted.adapter)
        XCTAssertEqual(adapted.packedWeightBytes, plain.packedWeightBytes)
        XCTAssertEqual(2 * adapted.packedWeightBytes, try InferenceEngine(model: try base(values, bfloat16: false)).packedWeightBytes)
    }
}
