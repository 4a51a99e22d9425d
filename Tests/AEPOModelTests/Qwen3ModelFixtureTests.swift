import AEPOModel
import AEPOTestSupport
import XCTest

/// Conformance with transformers' `Qwen3ForCausalLM` on the committed fixtures:
/// logits within 1e-4 absolute, loss within 1e-5 relative, gradients within 1e-4·max(1, max|ref|).
final class Qwen3ModelFixtureTests: XCTestCase {
    func check(_ fixture: String, logitsBudget: Int? = nil) throws {
        let checkpoint = try Checkpoint.load(directory: Fixtures.url(fixture))
        let reference = try ModelReference.load(fixture)
        let model = try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters)
        if let logitsBudget { model.logitsBudget = logitsBudget }

        let logitError = reference.maxLogitError(try model.logits(for: reference.inputIDs))
        XCTAssertLessThan(logitError, 1e-4, "\(fixture): logits")

        let batch = TokenBatch.nextToken(reference.inputIDs)
        let (logProbs, _) = try model.forward(batch)
        let loss = -logProbs.map(Double.init).reduce(0, +) / Double(logProbs.count)
        XCTAssertEqual(loss, reference.loss, accuracy: 1e-5 * reference.loss, "\(fixture): loss")

        model.zeroGradients()
        try model.backward(logProbWeights: [Float](repeating: -1 / Float(logProbs.count), count: logProbs.count))
        let expected = try Safetensors(contentsOf: Fixtures.url("\(fixture)/expected_grads.safetensors"))
        for entry in model.layout.entries {
            let want = try expected.floats(entry.name)
            let got = model.gradients[entry.offset..<(entry.offset + entry.count)]
            let scale = max(1, want.map { abs(Double($0)) }.max()!)
            let error = zip(got, want).map { abs(Double($0) - Double($1)) }.max()!
            XCTAssertLessThan(error, 1e-4 * scale, "\(fixture): gradient of \(entry.name)")
        }
    }

    func testUntiedFixtureMatchesTransformers() throws {
        try check("qwen3-tiny-a")
    }

    func testTiedGroupedQueryFixtureMatchesTransformers() throws {
        try check("qwen3-tiny-b")
    }

    /// The chunked LM head (three target rows at a time) gives the same results as one chunk.
    func testChunkedLanguageModelHeadMatchesTransformers() throws {
        try check("qwen3-tiny-b", logitsBudget: 3 * 96)
    }
}
