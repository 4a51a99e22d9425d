import AEPOCore
@testable import AEPOModel
import AEPOTestSupport
import AEPOTraining
import XCTest

final class AdamWTests: XCTestCase {
    /// With a constant gradient the bias-corrected moments are exactly `g` and `g²`, so every step is
    /// `θ ← θ(1 − ηλ) − η·g/(|g| + ε)`.
    func testConstantGradientStepsHaveClosedForm() throws {
        let lr: Float = 0.1, wd: Float = 0.05, eps: Float = 1e-3
        let optimizer = try AdamW(parameterCount: 3, epsilon: eps, weightDecay: wd)
        var theta: [Float] = [1, -2, 0.5]
        let g: [Float] = [0.2, -3, 0]
        var expected = theta.map(Double.init)
        for _ in 0..<3 {
            theta.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { optimizer.update(parameters: p, gradients: $0, learningRate: lr) } }
            for i in 0..<3 {
                expected[i] = expected[i] * (1 - Double(lr * wd)) - Double(lr) * Double(g[i]) / (abs(Double(g[i])) + Double(eps))
            }
        }
        XCTAssertEqual(optimizer.step, 3)
        for i in 0..<3 { XCTAssertEqual(Double(theta[i]), expected[i], accuracy: 1e-6) }
    }

    /// Two steps with gradients 1 then −0.5 (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, λ = 0), by hand:
    /// m₂ = 0.09 − 0.05 = 0.04, v₂ = 0.000999 + 0.00025 = 0.001249, corrections 0.19 and 0.001999.
    func testTwoStepsMatchHandComputation() throws {
        let optimizer = try AdamW(parameterCount: 1, weightDecay: 0)
        var theta: [Float] = [0]
        for g: Float in [1, -0.5] {
            theta.withUnsafeMutableBufferPointer { p in [g].withUnsafeBufferPointer { optimizer.update(parameters: p, gradients: $0, learningRate: 0.01) } }
        }
        let step2 = 0.01 * (0.04 / 0.19) / ((0.001249 as Double).squareRoot() / (0.001999 as Double).squareRoot() + 1e-8)
        XCTAssertEqual(Double(theta[0]), -0.01 - step2, accuracy: 1e-7)
    }

    /// Three trained tensors laid end to end (as a model's or an adapter's), and an optimizer two updates into them.
    private func trainedOptimizer() throws -> (optimizer: AdamW, entries: [ParameterLayout.Entry], parameters: [Float]) {
        let entries = [ParameterLayout.Entry(name: "a.weight", shape: [2, 3], offset: 0),
                       ParameterLayout.Entry(name: "b.weight", shape: [4], offset: 6),
                       ParameterLayout.Entry(name: "c.weight", shape: [3, 2], offset: 10)]
        let optimizer = try AdamW(parameterCount: 16, beta1: 0.8, weightDecay: 0.1)
        var theta = (0..<16).map { Float($0) / 7 - 1 }
        for step in 1...2 {
            let g = (0..<16).map { Float(sin(Double($0 * step + 1))) }
            theta.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { optimizer.update(parameters: p, gradients: $0, learningRate: 0.1) } }
        }
        return (optimizer, entries, theta)
    }

    /// `b` holds `a`'s step, hyper-parameters and moments bit for bit, and takes the same next update.
    private func assertSameState(_ a: AdamW, _ b: AdamW, parameters: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(b.step, a.step, file: file, line: line)
        XCTAssertEqual([b.beta1, b.beta2, b.epsilon, b.weightDecay], [a.beta1, a.beta2, a.epsilon, a.weightDecay], file: file, line: line)
        XCTAssertEqual(b.firstMoment.map(\.bitPattern), a.firstMoment.map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(b.secondMoment.map(\.bitPattern), a.secondMoment.map(\.bitPattern), file: file, line: line)
        func next(_ optimizer: AdamW) -> [UInt32] {
            var theta = parameters
            let g = (0..<theta.count).map { Float($0 % 5) - 2 }
            theta.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { optimizer.update(parameters: p, gradients: $0, learningRate: 0.1) } }
            return theta.map(\.bitPattern)
        }
        XCTAssertEqual(next(b), next(a), file: file, line: line)
    }

    /// Throws with an error naming every one of `parts`.
    private func assertError(_ parts: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            for part in parts { XCTAssertTrue("\(error)".contains(part), "\(error) does not name \(part)", file: file, line: line) }
        }
    }

    /// One file `optimizer.safetensors` of each tensor's moments, named after it, with the step and hyper-parameters.
    func testStateSurvivesSaveAndLoad() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (a, entries, theta) = try trainedOptimizer()
        try a.save(into: directory, stem: "optimizer", entries: entries)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["optimizer.safetensors"])
        let file = try Safetensors(contentsOf: directory.appendingPathComponent("optimizer.safetensors"))
        XCTAssertEqual(file.metadata["step"], "2")
        XCTAssertEqual(file.tensors["b.weight.exp_avg_sq"]?.shape, [4])
        XCTAssertEqual(try file.floats("c.weight.exp_avg"), Array(a.firstMoment[10...]))
        XCTAssertEqual(try file.floats("a.weight.exp_avg_sq"), Array(a.secondMoment[..<6]))
        assertSameState(a, try AdamW(contentsOf: directory, stem: "optimizer", entries: entries), parameters: theta)
        // The trained tensors must be those of the state.
        var other = entries
        other[1].shape = [2, 2]
        assertError(["b.weight.exp_avg", "[4]", "[2, 2]", "optimizer.safetensors"]) { _ = try AdamW(contentsOf: directory, stem: "optimizer", entries: other) }
        assertError(["unexpected tensor 'c.weight.exp_avg'"]) { _ = try AdamW(contentsOf: directory, stem: "optimizer", entries: Array(entries.prefix(2))) }
    }

    /// Above the shard limit the state is written as transformers writes a model's weights: shards in order, each within
    /// the limit, and `optimizer.safetensors.index.json`; it reads back as the single file does, bit for bit.
    func testShardedStateReadsBackAsTheSingleFile() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (a, entries, theta) = try trainedOptimizer()
        let single = directory.appendingPathComponent("single"), sharded = directory.appendingPathComponent("sharded")
        try a.save(into: single, stem: "optimizer", entries: entries)
        // Moments of 24, 24, 16, 16, 24 and 24 bytes in shards of at most 40: [a], [a², b], [b², c], [c²].
        try a.save(into: sharded, stem: "optimizer", entries: entries, maxShardBytes: 40)
        let names = (1...4).map { String(format: "optimizer-%05d-of-00004.safetensors", $0) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sharded.path).sorted(), names + ["optimizer.safetensors.index.json"])
        let index = try JSONValue.parse(Data(contentsOf: sharded.appendingPathComponent("optimizer.safetensors.index.json")))
        XCTAssertEqual(index.objectValue?["metadata"]?.objectValue?["total_size"], .integer(2 * 16 * 4))
        XCTAssertEqual(index.objectValue?["weight_map"], .object([
            "a.weight.exp_avg": .string(names[0]), "a.weight.exp_avg_sq": .string(names[1]), "b.weight.exp_avg": .string(names[1]),
            "b.weight.exp_avg_sq": .string(names[2]), "c.weight.exp_avg": .string(names[2]), "c.weight.exp_avg_sq": .string(names[3]),
        ]))
        for name in names {
            let shard = try Safetensors(contentsOf: sharded.appendingPathComponent(name))
            XCTAssertLessThanOrEqual(shard.tensors.values.reduce(0) { $0 + 4 * $1.count }, 40, name)
            XCTAssertEqual(shard.metadata, try Safetensors(contentsOf: single.appendingPathComponent("optimizer.safetensors")).metadata, name)
        }
        func load(_ directory: URL) throws -> AdamW { try AdamW(contentsOf: directory, stem: "optimizer", entries: entries) }
        assertSameState(try load(single), try load(sharded), parameters: theta)
        assertSameState(a, try load(sharded), parameters: theta)
    }

    /// A state of the earlier form, one file whose `exp_avg` and `exp_avg_sq` hold every parameter's moments, still reads.
    func testReadsTheEarlierSingleFile() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (a, entries, theta) = try trainedOptimizer()
        try Safetensors.write([Safetensors.Tensor(name: "exp_avg", shape: [16], values: Array(a.firstMoment)[...]),
                               Safetensors.Tensor(name: "exp_avg_sq", shape: [16], values: Array(a.secondMoment)[...])],
                              metadata: ["step": "2", "beta1": "0.8", "beta2": "0.999", "epsilon": "1e-08", "weight_decay": "0.1"],
                              to: directory.appendingPathComponent("optimizer.safetensors"))
        assertSameState(a, try AdamW(contentsOf: directory, stem: "optimizer", entries: entries), parameters: theta)
        assertError(["exp_avg", "[16]", "[17]"]) {
            _ = try AdamW(contentsOf: directory, stem: "optimizer", entries: entries + [ParameterLayout.Entry(name: "d", shape: [1], offset: 16)])
        }
    }

    /// A missing shard, an index naming a tensor its shard lacks or one no file holds, a shard of another state, or no
    /// state at all: each an error naming the file.
    func testBadShardsAreNamed() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (a, entries, _) = try trainedOptimizer()
        let indexURL = directory.appendingPathComponent("optimizer.safetensors.index.json")
        func shard(_ n: Int) -> String { String(format: "optimizer-%05d-of-00004.safetensors", n) }
        func load(_ entries: [ParameterLayout.Entry]) throws { _ = try AdamW(contentsOf: directory, stem: "optimizer", entries: entries) }
        func edit(_ change: (inout [String: JSONValue]) -> Void) throws {
            try a.save(into: directory, stem: "optimizer", entries: entries, maxShardBytes: 40)
            var index = try XCTUnwrap(JSONValue.parse(Data(contentsOf: indexURL)).objectValue)
            var weightMap = try XCTUnwrap(index["weight_map"]?.objectValue)
            change(&weightMap)
            index["weight_map"] = .object(weightMap)
            try Data(JSONValue.object(index).serialized().utf8).write(to: indexURL)
        }
        try edit { $0["d.weight.exp_avg"] = .string(shard(1)) }
        assertError(["d.weight.exp_avg", "listed for this shard in optimizer.safetensors.index.json but missing", shard(1)]) { try load(entries) }
        try edit { $0["b.weight.exp_avg"] = .string(shard(3)) }
        assertError(["b.weight.exp_avg", shard(2), "maps it to '\(shard(3))'"]) { try load(entries) }
        try edit { _ in }
        var renamed = entries
        renamed[2].name = "z.weight"
        assertError(["missing tensor 'z.weight.exp_avg'", "optimizer.safetensors.index.json"]) { try load(renamed) }
        try FileManager.default.removeItem(at: directory.appendingPathComponent(shard(3)))
        assertError([shard(3), "cannot read"]) { try load(entries) }
        // A shard written by another state (its step differs).
        try edit { _ in }
        let second = directory.appendingPathComponent(shard(2))
        let file = try Safetensors(contentsOf: second)
        var metadata = file.metadata
        metadata["step"] = "1"
        try Safetensors.write(try file.tensors.keys.map { Safetensors.Tensor(name: $0, shape: file.tensors[$0]!.shape, values: try file.floats($0)[...]) },
                              metadata: metadata, to: second)
        assertError(["optimizer metadata differs from that of \(shard(1))", shard(2)]) { try load(entries) }
        try FileManager.default.removeItem(at: indexURL)
        assertError(["optimizer.safetensors", "optimizer.safetensors.index.json", directory.path]) { try load(entries) }
    }
}
