/// The families of tasks the benchmark mirrors.
public enum SuiteFamily: String, Codable, CaseIterable, Sendable {
    /// 1-hop lookups answered by one search (the NQ / TriviaQA / PopQA analogue).
    case singleHopQA = "single-hop-qa"
    /// 3–4 hop chains needing several searches (the GAIA / WebWalkerQA / HLE analogue).
    case deepSearch = "deep-search"
    /// 2-hop bridge and comparison questions (the HotpotQA / 2Wiki / MuSiQue / Bamboogle analogue).
    case multiHopQA = "multi-hop-qa"
    /// Arithmetic that needs the calculator (the GSM8K / MATH / AIME analogue).
    case computation
}
