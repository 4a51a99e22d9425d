/// The English the questions and the oracle's notes are written in: noun phrases for following
/// a relation or reading an attribute ("the director of X"), question wordings for the last step
/// ("Who directed X?"), and statements of a found fact ("X was directed by D.").
enum Phrasing {
    /// Noun phrases for "the entity `relation` links X to"; `{x}` is X.
    static func nounPhrases(_ relation: Relation) -> [String] {
        switch relation {
        case .director: return ["the director of {x}", "the person who directed {x}"]
        case .studio: return ["the studio that produced {x}", "the production company of {x}"]
        case .author: return ["the author of {x}", "the writer of {x}"]
        case .publisher: return ["the publisher of {x}", "the company that published {x}"]
        case .founder: return ["the founder of {x}", "the person who founded {x}"]
        case .headquarters: return ["the city where {x} is headquartered", "the headquarters city of {x}"]
        case .bornIn: return ["the birthplace of {x}", "the city where {x} was born"]
        case .studiedAt: return ["the university {x} attended", "the alma mater of {x}"]
        case .located: return ["the city where {x} is located", "the home city of {x}"]
        case .country: return ["the country of {x}", "the country where {x} lies"]
        case .capital: return ["the capital of {x}", "the capital city of {x}"]
        }
    }

    /// Noun phrases for an attribute's value, e.g. "the population of {x}".
    static func nounPhrase(_ attribute: Attribute) -> String {
        switch attribute {
        case .birthYear: return "the birth year of {x}"
        case .population: return "the population of {x}"
        case .foundedYear: return "the founding year of {x}"
        case .employees: return "the number of employees of {x}"
        case .releaseYear: return "the release year of {x}"
        case .budget: return "the budget of {x}"
        case .runtime: return "the running time of {x}"
        case .publicationYear: return "the publication year of {x}"
        case .pages: return "the page count of {x}"
        case .students: return "the number of students of {x}"
        case .occupation: return "the occupation of {x}"
        case .industry: return "the industry of {x}"
        }
    }

    /// Question wordings asking for the entity `relation` links X to.
    static func questions(_ relation: Relation) -> [String] {
        switch relation {
        case .director: return ["Who directed {x}?", "Who is the director of {x}?"]
        case .studio: return ["Which studio produced {x}?", "What company produced {x}?"]
        case .author: return ["Who wrote {x}?", "Who is the author of {x}?"]
        case .publisher: return ["Which company published {x}?", "Who is the publisher of {x}?"]
        case .founder: return ["Who founded {x}?", "Who is the founder of {x}?"]
        case .headquarters: return ["In which city is {x} headquartered?", "Where are the headquarters of {x}?"]
        case .bornIn: return ["In which city was {x} born?", "Where was {x} born?"]
        case .studiedAt: return ["Which university did {x} attend?", "Where did {x} study?"]
        case .located: return ["In which city is {x} located?", "Which city is {x} in?"]
        case .country: return ["In which country is {x}?", "Which country is {x} part of?"]
        case .capital: return ["What is the capital of {x}?", "Which city is the capital of {x}?"]
        }
    }

    /// Question wordings asking for an attribute's value.
    static func questions(_ attribute: Attribute) -> [String] {
        switch attribute {
        case .birthYear: return ["In which year was {x} born?", "What is the birth year of {x}?"]
        case .population: return ["What is the population of {x}?", "How many people live in {x}?"]
        case .foundedYear: return ["In which year was {x} founded?", "When was {x} founded?"]
        case .employees: return ["How many employees does {x} have?", "How many people does {x} employ?"]
        case .releaseYear: return ["In which year was {x} released?", "When was {x} released?"]
        case .budget: return ["What was the budget of {x}?", "How much did {x} cost to make?"]
        case .runtime: return ["How long is {x}?", "What is the running time of {x}?"]
        case .publicationYear: return ["In which year was {x} published?", "When was {x} first published?"]
        case .pages: return ["How many pages does {x} have?", "How long is {x} in pages?"]
        case .students: return ["How many students does {x} have?", "How many students study at {x}?"]
        case .occupation: return ["What is the occupation of {x}?"]
        case .industry: return ["In which industry is {x}?"]
        }
    }

    /// A note stating that `relation` links `subject` to `value`.
    static func statement(_ relation: Relation, _ subject: String, _ value: String) -> String {
        let template: String
        switch relation {
        case .director: template = "{s} was directed by {v}."
        case .studio: template = "{s} was produced by {v}."
        case .author: template = "{s} was written by {v}."
        case .publisher: template = "{s} was published by {v}."
        case .founder: template = "{s} was founded by {v}."
        case .headquarters: template = "{s} is headquartered in {v}."
        case .bornIn: template = "{s} was born in {v}."
        case .studiedAt: template = "{s} studied at {v}."
        case .located, .country: template = "{s} is in {v}."
        case .capital: template = "The capital of {s} is {v}."
        }
        return fill(template, subject, value)
    }

    /// A note stating that `subject` has `value` for `attribute`.
    static func statement(_ attribute: Attribute, _ subject: String, _ value: String) -> String {
        let template: String
        switch attribute {
        case .birthYear: template = "{s} was born in {v}."
        case .population: template = "{s} has a population of {v}."
        case .foundedYear: template = "{s} was founded in {v}."
        case .employees: template = "{s} has {v} employees."
        case .releaseYear: template = "{s} was released in {v}."
        case .budget: template = "{s} had a budget of {v} million dollars."
        case .runtime: template = "{s} runs {v} minutes."
        case .publicationYear: template = "{s} was published in {v}."
        case .pages: template = "{s} has {v} pages."
        case .students: template = "{s} has {v} students."
        case .occupation: template = "{s} is a {v}."
        case .industry: template = "{s} is in the {v} industry."
        }
        return fill(template, subject, value)
    }

    /// `text` with its first letter in upper case.
    static func capitalised(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    /// `template` with `{x}` replaced.
    static func fill(_ template: String, _ x: String) -> String {
        template.replacingOccurrences(of: "{x}", with: x)
    }

    static func fill(_ template: String, _ subject: String, _ value: String) -> String {
        template.replacingOccurrences(of: "{s}", with: subject).replacingOccurrences(of: "{v}", with: value)
    }

    /// Answers for a numeric attribute value: the canonical form first, then natural aliases.
    static func answers(_ attribute: Attribute, _ value: Int) -> [String] {
        switch attribute {
        case .budget: return ["\(value) million dollars", "\(value) million", "$\(value) million", "\(value)000000"]
        case .runtime: return ["\(value) minutes", "\(value)"]
        case .pages: return ["\(value)", "\(value) pages"]
        default: return numberAnswers(value)
        }
    }

    /// A number and, from 1,000 on, its comma-grouped form.
    static func numberAnswers(_ value: Int) -> [String] {
        let plain = String(value)
        guard abs(value) >= 1000 else { return [plain] }
        var grouped = ""
        for (index, character) in plain.reversed().enumerated() {
            if index > 0 && index % 3 == 0 && character != "-" { grouped.append(",") }
            grouped.append(character)
        }
        return [plain, String(grouped.reversed())]
    }

    /// Search queries a reader might type to find `property` of `subject`, most direct first.
    static func searchQueries(_ property: OraclePlan.Property, _ subject: String) -> [String] {
        let templates: [String]
        switch property {
        case .relation(let relation):
            switch relation {
            case .director: templates = ["{x} director", "who directed {x}", "{x} directed by"]
            case .studio: templates = ["{x} produced by", "{x} film studio", "which studio produced {x}"]
            case .author: templates = ["{x} author", "who wrote {x}", "{x} written by"]
            case .publisher: templates = ["{x} publisher", "{x} published by", "who published {x}"]
            case .founder: templates = ["{x} founder", "who founded {x}", "{x} founded by"]
            case .headquarters: templates = ["{x} headquarters", "{x} headquartered based", "where is {x} based"]
            case .bornIn: templates = ["{x} birthplace", "{x} born city", "where was {x} born"]
            case .studiedAt: templates = ["{x} studied at", "{x} university graduate", "where did {x} study"]
            case .located: templates = ["{x} located", "where is {x}", "{x} university city"]
            case .country: templates = ["{x} country", "{x} city in country", "which country is {x} in"]
            case .capital: templates = ["{x} capital", "capital of {x}", "{x} capital city"]
            }
        case .attribute(let attribute):
            switch attribute {
            case .birthYear: templates = ["{x} born year", "{x} birth year", "when was {x} born"]
            case .population: templates = ["{x} population", "how many people live in {x}", "{x} population inhabitants"]
            case .foundedYear: templates = ["{x} founded", "when was {x} founded", "{x} founded established year"]
            case .employees: templates = ["{x} employees", "how many people does {x} employ", "{x} workforce employees"]
            case .releaseYear: templates = ["{x} film released", "when was {x} released", "{x} release year film"]
            case .budget: templates = ["{x} budget", "{x} cost million dollars", "{x} film budget"]
            case .runtime: templates = ["{x} running time minutes", "{x} runtime minutes", "how long is {x} minutes"]
            case .publicationYear: templates = ["{x} published year", "when was {x} published", "{x} book published"]
            case .pages: templates = ["{x} pages", "{x} number of pages", "how many pages {x}"]
            case .students: templates = ["{x} students", "how many students at {x}", "{x} students study"]
            case .occupation: templates = ["{x} occupation"]
            case .industry: templates = ["{x} industry company"]
            }
        }
        return templates.map { fill($0, subject) }
    }
}
