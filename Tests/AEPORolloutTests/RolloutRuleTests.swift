import AEPOAgent
import AEPORollout
import AEPOCore
import Foundation
import XCTest

/// The pure rollout rules, driven by scripted entropies and seeded draws (no model).
final class RolloutRuleTests: XCTestCase {
    func testSegmentEntropySumsTheFirstKTokensNormalised() {
        let h = SegmentEntropy(vocabularySize: 144, window: 3)
        XCTAssertEqual(h([1.0, 2.0, 3.0, 100.0] as [Float]), 6 / log(144.0), accuracy: 1e-12)
        XCTAssertEqual(h([0.5] as [Double]), 0.5 / log(144.0), accuracy: 1e-12, "shorter than K")
        XCTAssertEqual(SegmentEntropy(vocabularySize: 10).window, 20)
        let uniform = [Double](repeating: log(10.0), count: 30)
        XCTAssertEqual(SegmentEntropy(vocabularySize: 10)(uniform), 20, accuracy: 1e-12, "a uniform token counts 1")
    }

    func testBudgetFormulaClosedForm() {
        let k12 = BudgetAllocator(trajectories: 12)
        // σ(0) = 0.5 → floor(6) + 1
        XCTAssertEqual(k12.initialRollouts(rootEntropy: 1, toolEntropy: 1), 7)
        // σ(0.5·2) = 0.7311 → floor(8.77) + 1
        XCTAssertEqual(k12.initialRollouts(rootEntropy: 3, toolEntropy: 1), 9)
        // σ(−1) = 0.2689 → floor(3.23) + 1
        XCTAssertEqual(k12.initialRollouts(rootEntropy: 1, toolEntropy: 3), 4)
        XCTAssertEqual(k12.initialRollouts(rootEntropy: 0, toolEntropy: 100), 1, "clamped below")
        XCTAssertEqual(k12.initialRollouts(rootEntropy: 100, toolEntropy: 0), 12, "floor(12·σ)+1 clamped to k")
        // β = 2, k = 16: σ(2·0.25) = 0.6225 → floor(9.96) + 1
        XCTAssertEqual(BudgetAllocator(trajectories: 16, beta: 2).initialRollouts(rootEntropy: 0.75, toolEntropy: 0.5), 10)
        // Segments [3, 1, 2]: H_root 3, H̄_tool = mean(3, 1, 2) = 2 (first segment included): σ(0.5) = 0.6225 → 8
        XCTAssertEqual(k12.initialRollouts(segmentEntropies: [3, 1, 2]), 8)
        XCTAssertEqual(k12.initialRollouts(segmentEntropies: [3]), 7, "no tool result: H̄_tool = H_root")
    }

    /// ARPO: over many seeded draws the branch frequency matches clip(α + γΔH, 0, 1).
    func testARPOBranchFrequencyMatchesTheFormula() {
        let policy = BranchPolicy(settings: BranchPolicy.Settings(alpha: 0.5, gamma: 0.2))
        var rng = SeededGenerator(seed: 42)
        let draws = 20_000
        for dH in [-3.0, -1.0, 0.0, 0.7, 2.0, 4.0] {
            let p = min(max(0.5 + 0.2 * dH, 0), 1)
            var taken = 0
            for _ in 0..<draws {
                let decision = policy.decide(entropyChange: dH, consecutiveBranches: 0, using: &rng)
                XCTAssertEqual(decision.probability, p, accuracy: 1e-15)
                if decision.branches { taken += 1 }
            }
            let sigma = (p * (1 - p) / Double(draws)).squareRoot()
            XCTAssertEqual(Double(taken) / Double(draws), p, accuracy: max(4 * sigma, 1e-12), "ΔH = \(dH)")
        }
    }

    /// Both AEPO forms: frequencies match the reported probability, which falls as l grows; with l = 0 the
    /// released form is ARPO's Bernoulli.
    func testPenalisedFrequenciesMatchAndFallWithConsecutiveBranches() {
        let draws = 20_000
        for form in [BranchPolicy.PenaltyForm.paper, .released] {
            let policy = BranchPolicy(settings: BranchPolicy.Settings(penalty: 0.05, form: form))
            var rng = SeededGenerator(seed: 7)
            var previous = 2.0
            for l in [0, 2, 5, 10] {
                var taken = 0
                for _ in 0..<draws where policy.decide(entropyChange: 1, consecutiveBranches: l, using: &rng).branches { taken += 1 }
                let p = policy.probability(entropyChange: 1, consecutiveBranches: l)
                let sigma = (p * (1 - p) / Double(draws)).squareRoot()
                XCTAssertEqual(Double(taken) / Double(draws), p, accuracy: max(4 * sigma, 1e-12), "\(form) l = \(l)")
                XCTAssertLessThan(p, previous, "\(form) l = \(l)")
                previous = p
            }
            XCTAssertEqual(policy.probability(entropyChange: 1, consecutiveBranches: 0), 0.7, accuracy: 1e-12)
        }
        let paper = BranchPolicy(settings: BranchPolicy.Settings(penalty: 0.05))
        XCTAssertEqual(paper.probability(entropyChange: 1, consecutiveBranches: 4), 0.7 * 0.8, accuracy: 1e-12)
        let released = BranchPolicy(settings: BranchPolicy.Settings(penalty: 0.05, form: .released))
        // (U + 0.2)·0.8 ≥ 0.5 ⇔ U ≥ 0.425
        XCTAssertEqual(released.probability(entropyChange: 1, consecutiveBranches: 4), 0.575, accuracy: 1e-12)
        XCTAssertEqual(released.probability(entropyChange: 1, consecutiveBranches: 20), 0, "factor 0")
    }

    /// Scripted rounds: one question, fixed ΔH. Per path, a branch inherits its parent's counter and a path that
    /// did not branch resets; per question, any branch in the round raises everyone's counter.
    func testCounterScopes() {
        var path = BranchCounter(scope: .path), question = BranchCounter(scope: .question)
        for counter in [0, 1] {
            var c = counter == 0 ? path : question
            // Round 1: trajectory 0 branches into 2, trajectory 1 does not.
            c.endRound(question: 0, decisions: [(0, true), (1, false)], children: [(2, 0)])
            if counter == 0 {
                XCTAssertEqual(c.consecutiveBranches(path: 0, question: 0), 1)
                XCTAssertEqual(c.consecutiveBranches(path: 1, question: 0), 0)
                XCTAssertEqual(c.consecutiveBranches(path: 2, question: 0), 1, "inherits the parent's counter")
            } else {
                XCTAssertEqual(c.consecutiveBranches(path: 1, question: 0), 1)
                XCTAssertEqual(c.consecutiveBranches(path: 5, question: 1), 0, "another question")
            }
            // Round 2: the branch 2 branches again into 3.
            c.endRound(question: 0, decisions: [(0, false), (1, false), (2, true)], children: [(3, 2)])
            if counter == 0 {
                XCTAssertEqual(c.consecutiveBranches(path: 0, question: 0), 0, "reset after a round without branching")
                XCTAssertEqual(c.consecutiveBranches(path: 3, question: 0), 2)
            } else {
                XCTAssertEqual(c.consecutiveBranches(path: 0, question: 0), 2)
            }
            // Round 3: nobody branches, but a fresh root tops the question up: counts per question only.
            c.endRound(question: 0, decisions: [(3, false)], children: [], freshRoots: true)
            XCTAssertEqual(c.consecutiveBranches(path: 3, question: 0), counter == 0 ? 0 : 3)
            c.endRound(question: 0, decisions: [(3, false)], children: [])
            XCTAssertEqual(c.consecutiveBranches(path: 3, question: 0), 0)
            if counter == 0 { path = c } else { question = c }
        }
    }

    /// A scripted rollout of many questions: every trajectory sees ΔH = 1 at each of 6 tool rounds and may branch
    /// until k trajectories exist. The penalty lowers the share of branch decisions taken after a branching
    /// round (l > 0), under both scopes, against λ = 0.
    func testPenaltyLowersBranchingOnConsecutiveRounds() {
        func consecutiveBranchRate(penalty: Double, scope: BranchPolicy.PenaltyScope) -> Double {
            let policy = BranchPolicy(settings: BranchPolicy.Settings(penalty: penalty, scope: scope))
            var rng = SeededGenerator(seed: 2024)
            var decided = 0, taken = 0
            for question in 0..<400 {
                var counter = BranchCounter(scope: scope)
                var active = [0, 1, 2]
                var next = 3
                for _ in 0..<6 {
                    var decisions: [(path: Int, branched: Bool)] = []
                    var children: [(child: Int, parent: Int)] = []
                    for path in active where next < 12 {
                        let l = counter.consecutiveBranches(path: path, question: question)
                        let branched = policy.decide(entropyChange: 1.5, consecutiveBranches: l, using: &rng).branches
                        if l > 0 {
                            decided += 1
                            if branched { taken += 1 }
                        }
                        decisions.append((path, branched))
                        if branched {
                            children.append((next, path))
                            next += 1
                        }
                    }
                    counter.endRound(question: question, decisions: decisions, children: children)
                    active += children.map(\.child)
                }
            }
            return Double(taken) / Double(max(decided, 1))
        }
        for scope in [BranchPolicy.PenaltyScope.path, .question] {
            let free = consecutiveBranchRate(penalty: 0, scope: scope)
            let penalised = consecutiveBranchRate(penalty: 0.1, scope: scope)
            XCTAssertEqual(free, 0.8, accuracy: 0.02, "without penalty every decision is clip(0.5 + 0.2·1.5)")
            XCTAssertLessThan(penalised, free - 0.05, "\(scope)")
        }
    }
}
