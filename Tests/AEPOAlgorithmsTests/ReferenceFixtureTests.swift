import AEPOAlgorithms
import AEPOTestSupport
import Foundation
import XCTest

/// Every case of `losses/reference-7.json` (verl 0.9.1 itself, plus the CE-GPPO and AEPO formulas) within 1e-5.
final class ReferenceFixtureTests: XCTestCase {
    struct LossCase: Decodable {
        let request: PolicyLossRequest
        let expectedLoss: Double
        let expectedGrad: [[Double]]

        enum Keys: String, CodingKey {
            case expectedLoss = "expected_loss", expectedGrad = "expected_grad_log_probs"
        }

        init(from decoder: Decoder) throws {
            request = try PolicyLossRequest(from: decoder)
            let c = try decoder.container(keyedBy: Keys.self)
            expectedLoss = try c.decode(Double.self, forKey: .expectedLoss)
            expectedGrad = try c.decode([[Double]].self, forKey: .expectedGrad)
        }
    }

    struct AdvantageCase: Decodable {
        let request: AdvantageRequest
        let expected: [[Double]]

        enum Keys: String, CodingKey { case expected }

        init(from decoder: Decoder) throws {
            request = try AdvantageRequest(from: decoder)
            expected = try decoder.container(keyedBy: Keys.self).decode([[Double]].self, forKey: .expected)
        }
    }

    struct Fixture: Decodable {
        let policyLosses: [LossCase]
        let advantages: [AdvantageCase]

        enum CodingKeys: String, CodingKey {
            case policyLosses = "policy_losses", advantages
        }
    }

    static func load() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Fixtures.url("losses/reference-7.json")))
    }

    func testEveryPolicyLossCaseAgrees() throws {
        let fixture = try Self.load()
        XCTAssertEqual(fixture.policyLosses.count, 21)
        var worst: [String: Double] = [:]
        for (index, item) in fixture.policyLosses.enumerated() {
            let reply = try item.request.evaluate()
            let kind = item.request.loss + (item.request.entropyAdvantageCoef == nil ? "" : "+entropy-adv")
            let lossError = FiniteDifference.maxError([reply.loss], [item.expectedLoss])
            let gradError = FiniteDifference.maxError(reply.gradLogProbs.flatMap { $0 }, item.expectedGrad.flatMap { $0 })
            XCTAssertLessThanOrEqual(lossError, 1e-5, "case \(index) \(kind) \(item.request.lossAggMode): loss")
            XCTAssertLessThanOrEqual(gradError, 1e-5, "case \(index) \(kind) \(item.request.lossAggMode): gradient")
            worst[kind] = max(worst[kind] ?? 0, lossError, gradError)
        }
        for (kind, error) in worst.sorted(by: { $0.key < $1.key }) {
            print("reference-7 policy loss \(kind): max error \(error)")
        }
    }

    func testEveryAdvantageCaseAgrees() throws {
        let fixture = try Self.load()
        XCTAssertEqual(fixture.advantages.count, 5)
        for item in fixture.advantages {
            let reply = try item.request.evaluate()
            let error = FiniteDifference.maxError(reply.advantages.flatMap { $0 }, item.expected.flatMap { $0 })
            XCTAssertLessThanOrEqual(error, 1e-5, item.request.estimator)
            print("reference-7 advantages \(item.request.estimator): max error \(error)")
        }
    }
}
