import AEPOCore

/// Makes invented names from syllable-sized parts ("Va-ren Tol-sek", "Os-ka-vel"), so that a
/// tokenizer splits them into reusable subwords and a model has to learn to copy them.
///
/// It also makes the deliberate near-misses a world needs: a name with one vowel changed.
struct NameForge {
    private static let onsets = ["b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
                                 "b", "d", "k", "l", "m", "r", "s", "t", "br", "dr", "kr", "st", "tr", "sh"]
    private static let vowels = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ou"]
    private static let codas = ["", "", "", "", "n", "r", "l", "s", "k", "m", "nd", "th"]

    private var used: Set<String> = []

    /// Whether `name` (compared case-insensitively) is already taken.
    func isUsed(_ name: String) -> Bool { used.contains(name.lowercased()) }

    /// Reserves `name`; returns false if it was taken.
    mutating func claim(_ name: String) -> Bool { used.insert(name.lowercased()).inserted }

    /// One capitalised word of `syllables` syllables.
    func word(syllables: Int, using rng: inout SeededGenerator) -> String {
        var text = ""
        for index in 0..<syllables {
            let onset = Self.onsets.randomElement(using: &rng)!
            let vowel = Self.vowels.randomElement(using: &rng)!
            let coda = index == syllables - 1 ? Self.codas.randomElement(using: &rng)! : (rng.next() % 5 == 0 ? Self.codas.randomElement(using: &rng)! : "")
            text += onset + vowel + coda
        }
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    /// `count` distinct words of 2 (or, for three in ten, 3) syllables (not yet claimed as names).
    func pool(_ count: Int, using rng: inout SeededGenerator) -> [String] {
        var words: [String] = []
        var seen: Set<String> = []
        while words.count < count {
            let candidate = word(syllables: rng.next() % 10 < 3 ? 3 : 2, using: &rng)
            if seen.insert(candidate.lowercased()).inserted && !isUsed(candidate) { words.append(candidate) }
        }
        return words
    }

    /// `name` with one vowel group replaced: a similar-looking distractor ("Tolsek" → "Tolsak").
    func variant(of name: String, using rng: inout SeededGenerator) -> String {
        let characters = Array(name)
        let positions = characters.indices.filter { "aeiou".contains(characters[$0]) }
        guard let position = positions.randomElement(using: &rng) else { return name + "a" }
        var result = characters
        let choices = ["a", "e", "i", "o", "u"].filter { $0 != String(characters[position]) }
        result[position] = Character(choices.randomElement(using: &rng)!)
        return String(result)
    }
}
