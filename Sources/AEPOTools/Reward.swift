/// The reward of docs/algorithm.md §3.1, §3.2 and the evaluation metric.
///
/// - A broken format (`ParsedTrajectory.problem != nil`) scores `−1`.
/// - Otherwise the score is the token F1 of the boxed answer against the best ground truth, after
///   `normalize`; a ground truth that normalises to `yes` or `no` scores 1 only on an exact
///   (normalised) match and 0 otherwise.
/// - `+0.1` when the F1 is positive and the trajectory called both tool kinds: a `.search` tool
///   (`search`, `open`) and a `.calculator` tool (`python`). So rewards lie in {−1} ∪ [0, 1.1].
///
/// Evaluation uses `exactMatch` (normalised equality with any ground truth).
public enum Reward {
    /// The bonus for using both tool kinds.
    public static let bothToolKindsBonus = 0.1
    /// The score of a broken format.
    public static let brokenFormat = -1.0

    /// The parts of one trajectory's reward.
    public struct Breakdown: Codable, Equatable, Sendable {
        /// Best F1 over the ground truths (0 for a broken format).
        public var f1: Double
        /// `bothToolKindsBonus` or 0.
        public var bonus: Double
        /// The reward: `−1` for a broken format, else `f1 + bonus`.
        public var value: Double
        /// Normalised exact match with some ground truth (false for a broken format).
        public var exactMatch: Bool
        /// Why the format is broken, if it is.
        public var problem: String?
    }

    /// Scores a parsed trajectory; `kind` tells each called tool's kind (e.g. `ToolEnvironment.kind(of:)`).
    public static func score(_ trajectory: ParsedTrajectory, answers: [String], kind: (String) -> ToolKind) -> Breakdown {
        guard trajectory.isWellFormed, let answer = trajectory.answer else {
            return Breakdown(f1: 0, bonus: 0, value: brokenFormat, exactMatch: false, problem: trajectory.problem ?? "no final answer")
        }
        let f1 = bestF1(answer, answers: answers)
        let kinds = Set(trajectory.toolCalls.map { kind($0.name) })
        let bonus = f1 > 0 && kinds.contains(.search) && kinds.contains(.calculator) ? bothToolKindsBonus : 0
        return Breakdown(f1: f1, bonus: bonus, value: f1 + bonus, exactMatch: exactMatch(answer, answers: answers), problem: nil)
    }

    /// The best score of `prediction` over `answers`: token F1, or exact match for yes/no answers.
    public static func bestF1(_ prediction: String, answers: [String]) -> Double {
        let predicted = normalize(prediction)
        return answers.map { truth -> Double in
            let expected = normalize(truth)
            if expected == "yes" || expected == "no" { return predicted == expected ? 1 : 0 }
            return tokenF1(predicted, expected)
        }.max() ?? 0
    }

    /// Normalised exact match with any of `answers`.
    public static func exactMatch(_ prediction: String, answers: [String]) -> Bool {
        let predicted = normalize(prediction)
        return answers.contains { normalize($0) == predicted }
    }

    /// Token F1 of two normalised strings (SQuAD): with `c` the size of the multiset intersection of
    /// their tokens, `P = c/|pred|`, `R = c/|truth|`, `F1 = 2PR/(P + R)` (0 when `c = 0`; 1 when both are empty).
    public static func tokenF1(_ normalizedPrediction: String, _ normalizedTruth: String) -> Double {
        let predicted = normalizedPrediction.split(separator: " ")
        let expected = normalizedTruth.split(separator: " ")
        if predicted.isEmpty || expected.isEmpty { return predicted.isEmpty && expected.isEmpty ? 1 : 0 }
        var counts: [Substring: Int] = [:]
        for token in expected { counts[token, default: 0] += 1 }
        var common = 0
        for token in predicted where counts[token, default: 0] > 0 {
            counts[token]! -= 1
            common += 1
        }
        if common == 0 { return 0 }
        let precision = Double(common) / Double(predicted.count)
        let recall = Double(common) / Double(expected.count)
        return 2 * precision * recall / (precision + recall)
    }

    /// SQuAD normalisation with numbers kept intact: lower case; split on whitespace; a token that
    /// is a number once surrounding punctuation is stripped (`1,200`, `$3.50`, `-7`, `(42)`, `50%`)
    /// becomes its canonical decimal form (thousands commas dropped, leading zeros and trailing
    /// fraction zeros removed, `-0` → `0`: `1,200.00` → `1200`, `3.50` → `3.5`, `.5` → `0.5`);
    /// other tokens lose every punctuation character; the articles `a`, `an`, `the` and empty
    /// tokens are dropped; tokens are joined by single spaces. (`1.200` reads as 1.2.)
    public static func normalize(_ text: String) -> String {
        let articles: Set<String> = ["a", "an", "the"]
        return text.lowercased()
            .replacingMinusSigns()
            .split(whereSeparator: { $0.isWhitespace })
            .compactMap { token -> String? in
                let word = canonicalNumber(String(token)) ?? String(token.filter { !isPunctuation($0) })
                return word.isEmpty || articles.contains(word) ? nil : word
            }
            .joined(separator: " ")
    }

    /// The canonical decimal form of `token` if it is a number (see `normalize`), else `nil`.
    static func canonicalNumber(_ token: String) -> String? {
        var core = Substring(token)
        // Strip leading punctuation, except a sign or decimal point that starts the number.
        while let first = core.first, isPunctuation(first) {
            let next = core.dropFirst().first
            let startsNumber = (first == "-" || first == "+" || first == ".")
                && (next?.isASCIIDigit == true || (next == "." && first != "."))
            if startsNumber { break }
            core.removeFirst()
        }
        while let last = core.last, isPunctuation(last) { core.removeLast() }
        var negative = false
        if let sign = core.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            core.removeFirst()
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let integer = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !(integer.isEmpty && fraction.isEmpty),
              fraction.allSatisfy(\.isASCIIDigit),
              isDigitsWithOptionalThousands(integer),
              parts.count == 1 || !fraction.isEmpty else { return nil }
        var digits = String(integer.filter(\.isASCIIDigit).drop(while: { $0 == "0" }))
        if digits.isEmpty { digits = "0" }
        var decimals = String(fraction)
        while decimals.last == "0" { decimals.removeLast() }
        let magnitude = decimals.isEmpty ? digits : digits + "." + decimals
        return negative && magnitude != "0" ? "-" + magnitude : magnitude
    }

    /// Plain digits, or 1–3 digits followed by groups of `,ddd`; empty is allowed (as in `.5`).
    private static func isDigitsWithOptionalThousands(_ text: Substring) -> Bool {
        if text.allSatisfy(\.isASCIIDigit) { return true }
        let groups = text.split(separator: ",", omittingEmptySubsequences: false)
        guard let head = groups.first, (1...3).contains(head.count), head.allSatisfy(\.isASCIIDigit) else { return false }
        return groups.dropFirst().allSatisfy { $0.count == 3 && $0.allSatisfy(\.isASCIIDigit) }
    }

    /// ASCII punctuation (Python's `string.punctuation`) and Unicode punctuation and symbols.
    static func isPunctuation(_ character: Character) -> Bool {
        if character.isASCII { return "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".contains(character) }
        return character.isPunctuation || character.isSymbol
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}

private extension String {
    /// U+2212 MINUS SIGN as `-`, so `−5` reads as a negative number.
    func replacingMinusSigns() -> String {
        String(map { $0 == "\u{2212}" ? "-" : $0 })
    }
}
