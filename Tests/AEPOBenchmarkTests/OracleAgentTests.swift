@testable import AEPOBenchmark
import AEPOCore
import AEPOTools
import XCTest

final class OracleAgentTests: XCTestCase {
    let benchmark = BenchmarkFixture.small

    /// Runs the oracle (all demonstrations correct) on every question and scores its trajectory
    /// with the trajectory parser and the reward.
    func testPerfectOracleSolvesEverySuiteThroughTheRealTools() {
        let oracle = benchmark.oracle
        let environment = benchmark.environment
        let format = environment.format
        for suite in Suite.all {
            let questions = benchmark.questions.filter { $0.suite == suite.name }
            var solved = 0
            for question in questions {
                guard let run = benchmark.demonstrate(question, oracle: oracle, configuration: .perfect) else {
                    XCTFail("oracle gave up on \(question.id)")
                    continue
                }
                let parsed = format.parse(pieces: run.demonstration.trajectoryPieces)
                XCTAssertNil(parsed.problem, "\(question.id): \(parsed.problem ?? "")")
                let reward = Reward.score(parsed, answers: question.answers, kind: environment.kind(of:))
                if reward.exactMatch && reward.f1 == 1 && reward.value >= 1 { solved += 1 }
                // Calculations over retrieved facts use both tool kinds and earn the bonus.
                if question.suite == "calc-facts" { XCTAssertEqual(reward.value, 1 + Reward.bothToolKindsBonus, accuracy: 1e-12) }
                // Every tool call in the text was answered by the tool itself.
                XCTAssertEqual(parsed.toolCalls.count, run.demonstration.pieces.filter { $0.role == .environment }.count)
            }
            XCTAssertEqual(solved, questions.count, suite.name)
        }
    }

    func testRandomAnswersScoreAboutZero() {
        var rng = SeededGenerator(seed: 11)
        let names = benchmark.world.entities.map(\.name)
        var (hits, f1) = (0, 0.0)
        for question in benchmark.questions {
            let guess = rng.next() % 2 == 0 ? names.randomElement(using: &rng)! : String(Int.random(in: 0...5000, using: &rng))
            if Reward.exactMatch(guess, answers: question.answers) { hits += 1 }
            f1 += Reward.bestF1(guess, answers: question.answers)
        }
        XCTAssertLessThan(Double(hits) / Double(benchmark.questions.count), 0.03)
        XCTAssertLessThan(f1 / Double(benchmark.questions.count), 0.05)
    }

    /// For every lookup the oracle makes, the query it settled on ranks the needed page in the top 3
    /// of an independent BM25 ranking over the corpus.
    func testOracleQueriesPutTheNeededPageInTheTop3() {
        let index = BM25Index(pages: benchmark.pages)
        let titles = benchmark.pages.map(\.title)
        var lookups = 0
        for question in benchmark.questions where question.hops >= 2 {
            let run = benchmark.demonstrate(question, oracle: benchmark.oracle, configuration: .perfect)!
            for (query, page) in run.foundBy {
                let top = index.search(query, limit: 3).map { titles[$0.document] }
                XCTAssertTrue(top.contains(page), "\(question.id): '\(query)' → \(top), needed \(page)")
                lookups += 1
            }
        }
        XCTAssertGreaterThan(lookups, 200)
    }

    func testDemonstrationsAreWellFormedVariedAndMostlyCorrect() {
        let format = benchmark.environment.format
        let demonstrations = benchmark.demonstrations
        XCTAssertEqual(demonstrations.count, benchmark.questions.filter { $0.split == "train" }.count)
        for demonstration in demonstrations {
            let parsed = format.parse(pieces: demonstration.trajectoryPieces)
            XCTAssertNil(parsed.problem, demonstration.id)
            XCTAssertEqual(Reward.exactMatch(parsed.answer ?? "", answers: demonstration.answers), demonstration.correct, demonstration.id)
            XCTAssertEqual(demonstration.correct, demonstration.style != .earlyStop && demonstration.style != .guessed, demonstration.id)
            XCTAssertTrue(demonstration.text.hasPrefix("<think>"), demonstration.id)
        }
        let styles = Set(demonstrations.map(\.style))
        XCTAssertEqual(styles, Set(DemonstrationStyle.allCases).subtracting([.guessed]), "every style but guesses appears with the standard oracle")
        let correct = Double(demonstrations.filter(\.correct).count) / Double(demonstrations.count)
        XCTAssertGreaterThan(correct, 0.85)
        XCTAssertLessThan(correct, 1)
        // Query wordings vary: more distinct search wordings than search subjects would give alone.
        let queries = demonstrations.flatMap { format.parse(pieces: $0.trajectoryPieces).toolCalls.filter { $0.name == "search" }.map(\.input) }
        let shapes = Set(queries.map { $0.split(separator: " ").filter { $0.first!.isLowercase }.joined(separator: " ") })
        XCTAssertGreaterThan(shapes.count, 20)
        let meanCharacters = demonstrations.map(\.text.count).reduce(0, +) / demonstrations.count
        XCTAssertLessThan(meanCharacters, 2000, "demonstrations stay short")
    }

    func testRecoveryShowsAWrongMoveThenTheRightAnswer() {
        let recovered = benchmark.demonstrations.filter { $0.style == .recovered }
        XCTAssertFalse(recovered.isEmpty)
        for demonstration in recovered {
            XCTAssertTrue(demonstration.text.contains("not ") || demonstration.text.contains("Python needs"), demonstration.text)
            XCTAssertTrue(demonstration.correct)
        }
    }

    /// Guesses answer at once, wrongly, with an answer of the right type: another entity of the
    /// answer's kind for a name, a nearby number for a number.
    func testGuessesAnswerWithoutToolsWithAWrongAnswerOfTheRightType() {
        let oracle = benchmark.oracle
        let format = benchmark.environment.format
        let guessing = OracleConfiguration(checkShare: 0, recoveryShare: 0, earlyStopShare: 0, guessShare: 1)
        var guesses = 0
        for question in benchmark.questions where question.suite == "lookup" {
            let run = benchmark.demonstrate(question, oracle: oracle, configuration: guessing)!
            let demonstration = run.demonstration
            guard demonstration.style == .guessed else { continue }
            guesses += 1
            let parsed = format.parse(pieces: demonstration.trajectoryPieces)
            XCTAssertNil(parsed.problem, demonstration.id)
            XCTAssertTrue(parsed.toolCalls.isEmpty, demonstration.text)
            XCTAssertFalse(demonstration.correct)
            let guess = parsed.answer ?? ""
            XCTAssertFalse(Reward.exactMatch(guess, answers: question.answers), demonstration.text)
            let truth = benchmark.plans[question.id]!.answer
            if let value = Int(truth) {
                let guessed = try! XCTUnwrap(Int(guess), demonstration.text)
                XCTAssertLessThanOrEqual(abs(guessed - value), max(1, abs(value) / 5), demonstration.text)
            } else {
                XCTAssertEqual(oracle.kindOfName[guess], oracle.kindOfName[truth], demonstration.text)
                XCTAssertNotNil(oracle.kindOfName[guess], demonstration.text)
            }
        }
        XCTAssertGreaterThan(guesses, 20)
    }

    /// Styles are drawn with their configured shares; the rest are direct.
    func testStylesAreDrawnWithTheirShares() {
        let shares: [DemonstrationStyle: Double] = [.checked: 0.1, .recovered: 0.2, .earlyStop: 0.05, .guessed: 0.3, .direct: 0.35]
        let configuration = OracleConfiguration(checkShare: 0.1, recoveryShare: 0.2, earlyStopShare: 0.05, guessShare: 0.3)
        var rng = SeededGenerator(seed: 7)
        let draws = 20_000
        var counts: [DemonstrationStyle: Int] = [:]
        for _ in 0..<draws { counts[configuration.drawStyle(using: &rng), default: 0] += 1 }
        for (style, share) in shares {
            XCTAssertEqual(Double(counts[style, default: 0]) / Double(draws), share, accuracy: 0.015, style.rawValue)
        }
    }
}
