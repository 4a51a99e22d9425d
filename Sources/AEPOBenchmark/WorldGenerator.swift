import AEPOCore
import Foundation

/// Generates a `World` from a seed: countries, cities, universities, people, companies, films and
/// books, linked by relations, with deliberate distractors — similar names (one vowel apart),
/// shared first and last names, and entities that share an attribute value.
///
/// Deterministic: the same seed and configuration give the same world.
public struct WorldGenerator: Sendable {
    public var configuration: WorldConfiguration

    public init(configuration: WorldConfiguration = .standard) {
        self.configuration = configuration
    }

    static let industries: [(name: String, suffixes: [String])] = [
        ("film", ["Pictures", "Studios", "Films"]),
        ("publishing", ["Press", "Books", "Publishing"]),
        ("software", ["Systems", "Software", "Labs"]),
        ("energy", ["Energy", "Power"]),
        ("food", ["Foods", "Farms"]),
        ("shipping", ["Shipping", "Freight", "Lines"]),
        ("textile", ["Textiles", "Mills"]),
        ("chemical", ["Chemicals", "Materials"]),
    ]
    static let otherOccupations = ["architect", "painter", "physicist", "chemist", "composer", "journalist",
                                   "economist", "historian", "sculptor", "diplomat", "engineer", "photographer"]
    static let titleAdjectives = ["Silent", "Last", "Golden", "Broken", "Hidden", "Distant", "Burning", "Quiet", "Lost", "Northern", "Crimson", "Endless"]
    static let titleNouns = ["Harbor", "Winter", "Garden", "River", "Mirror", "Crown", "Shadow", "Letter", "Road", "Storm",
                             "Bridge", "Lantern", "Orchard", "Tide", "Voyage", "Tower", "Song", "Island", "Frontier", "Summer"]

    public func generate(seed: UInt64) -> World {
        var rng = SeededGenerator(seed: seed)
        var forge = NameForge()
        var entities: [Entity] = []
        let config = configuration

        func add(_ kind: EntityKind, _ name: String) -> Int {
            _ = forge.claim(name)
            entities.append(Entity(id: entities.count, kind: kind, name: name))
            return entities.count - 1
        }
        /// A fresh word, or with probability `similar` a one-vowel variant of an earlier one.
        func freshName(similarTo earlier: [String], share similar: Double, make: (inout SeededGenerator) -> String) -> String {
            while true {
                let candidate: String
                if !earlier.isEmpty && rng.nextDouble() < similar {
                    candidate = forge.variant(of: earlier.randomElement(using: &rng)!, using: &rng)
                } else {
                    candidate = make(&rng)
                }
                if !forge.isUsed(candidate) { return candidate }
            }
        }

        // Countries and cities; each country's first city is its capital.
        let countrySuffixes = ["ia", "land", "ria", "onia", "mark"]
        var countries: [Int] = []
        for _ in 0..<config.countries {
            let name = freshName(similarTo: [], share: 0) { rng in
                forge.word(syllables: 2, using: &rng) + countrySuffixes.randomElement(using: &rng)!
            }
            countries.append(add(.country, name))
        }
        var cities: [Int] = []
        var cityNames: [String] = []
        for index in 0..<config.cities {
            let name = freshName(similarTo: cityNames, share: 0.1) { rng in forge.word(syllables: 2 + Int(rng.next() % 2), using: &rng) }
            let id = add(.city, name)
            cities.append(id)
            cityNames.append(name)
            let country = index < countries.count ? countries[index] : countries.randomElement(using: &rng)!
            entities[id][link: .country] = country
            if index < countries.count { entities[country][link: .capital] = id }
            entities[id][number: .population] = Self.logUniform(15_000, 4_000_000, round: 100, using: &rng)
        }
        for country in countries {
            entities[country][number: .population] = Self.logUniform(400_000, 90_000_000, round: 1000, using: &rng)
        }
        Self.shareValues(of: .population, among: cities, share: 0.05, in: &entities, using: &rng)

        // Universities, some named after the city they are in.
        var universities: [Int] = []
        for _ in 0..<config.universities {
            let city = cities.randomElement(using: &rng)!
            let name = freshName(similarTo: [], share: 0) { rng in
                let root = rng.nextDouble() < 0.3 ? entities[city].name : forge.word(syllables: 2 + Int(rng.next() % 2), using: &rng)
                switch rng.next() % 4 {
                case 0: return "University of \(root)"
                case 1: return "\(root) University"
                case 2: return "\(root) Institute of Technology"
                default: return "\(root) College"
                }
            }
            let id = add(.university, name)
            universities.append(id)
            entities[id][link: .located] = city
            entities[id][number: .foundedYear] = 1350 + Int(rng.next() % 641)
            entities[id][number: .students] = Self.logUniform(600, 60_000, round: 10, using: &rng)
        }

        // People: first and last names from pools small enough that many are shared.
        let firstNames = forge.pool(max(8, config.people / 5), using: &rng)
        var lastNames = forge.pool(max(8, config.people / 3), using: &rng)
        for index in 0..<(lastNames.count / 12) {
            lastNames.append(forge.variant(of: lastNames[index * 12], using: &rng))
        }
        var people: [Int] = []
        for _ in 0..<config.people {
            let name = freshName(similarTo: [], share: 0) { rng in
                "\(firstNames.randomElement(using: &rng)!) \(lastNames.randomElement(using: &rng)!)"
            }
            let id = add(.person, name)
            people.append(id)
            entities[id][number: .birthYear] = 1900 + Int(rng.next() % 96)
            entities[id][link: .bornIn] = cities[Self.skewedIndex(cities.count, using: &rng)]
            entities[id][link: .studiedAt] = universities.randomElement(using: &rng)!
        }
        // Roles: disjoint pools of directors, writers and founders; the rest have other occupations.
        let directors = Array(people[0..<(people.count / 5)])
        let writers = Array(people[(people.count / 5)..<(2 * people.count / 5)])
        let founders = Array(people[(2 * people.count / 5)..<(3 * people.count / 4)])
        for id in directors { entities[id][label: .occupation] = "film director" }
        for id in writers { entities[id][label: .occupation] = rng.next() % 2 == 0 ? "novelist" : "writer" }
        for id in founders { entities[id][label: .occupation] = ["entrepreneur", "businessperson", "industrialist"].randomElement(using: &rng)! }
        for id in people[(3 * people.count / 4)...] { entities[id][label: .occupation] = Self.otherOccupations.randomElement(using: &rng)! }

        // Companies: a root word plus a suffix naming the industry; films need studios, books publishers.
        var companies: [Int] = []
        var roots: [String] = []
        var studios: [Int] = []
        var publishers: [Int] = []
        for index in 0..<config.companies {
            let industry = index % 8 < 2 ? Self.industries[index % 8] : Self.industries.randomElement(using: &rng)!
            let name = freshName(similarTo: [], share: 0) { rng in
                let root = !roots.isEmpty && rng.nextDouble() < 0.1 ? forge.variant(of: roots.randomElement(using: &rng)!, using: &rng) : forge.word(syllables: 2, using: &rng)
                return "\(root) \(industry.suffixes.randomElement(using: &rng)!)"
            }
            roots.append(String(name.split(separator: " ")[0]))
            let id = add(.company, name)
            companies.append(id)
            let founder = founders.randomElement(using: &rng)!
            let born = entities[founder][number: .birthYear]!
            entities[id][label: .industry] = industry.name
            entities[id][link: .founder] = founder
            entities[id][link: .headquarters] = cities[Self.skewedIndex(cities.count, using: &rng)]
            entities[id][number: .foundedYear] = min(born + 22 + Int(rng.next() % 39), 2020)
            entities[id][number: .employees] = Self.logUniform(40, 150_000, round: 10, using: &rng)
            if industry.name == "film" { studios.append(id) }
            if industry.name == "publishing" { publishers.append(id) }
        }
        Self.shareValues(of: .employees, among: companies, share: 0.05, in: &entities, using: &rng)

        // Films and books: invented titles, some one vowel away from another title.
        let titleWords = forge.pool(max(8, (config.films + config.books) / 2), using: &rng)
        var titleRoots: [String] = []
        /// A title from `patterns` (word, adjective, noun); a tenth reuse an earlier word with one vowel changed.
        func title(_ patterns: [(String, String, String) -> String]) -> String {
            freshName(similarTo: [], share: 0) { rng in
                let word = !titleRoots.isEmpty && rng.nextDouble() < 0.1 ? forge.variant(of: titleRoots.randomElement(using: &rng)!, using: &rng) : titleWords.randomElement(using: &rng)!
                titleRoots.append(word)
                return patterns.randomElement(using: &rng)!(word, Self.titleAdjectives.randomElement(using: &rng)!, Self.titleNouns.randomElement(using: &rng)!)
            }
        }
        let filmPatterns: [(String, String, String) -> String] = [
            { w, a, _ in "The \(a) \(w)" }, { w, _, n in "\(w) \(n)" }, { w, _, _ in "Return to \(w)" }, { w, _, n in "\(n) over \(w)" },
        ]
        let bookPatterns: [(String, String, String) -> String] = [
            { w, _, n in "The \(w) \(n)" }, { w, _, n in "A \(n) for \(w)" }, { w, a, n in "\(a) \(n) in \(w)" }, { w, _, _ in "Chronicles of \(w)" },
        ]
        for _ in 0..<config.films {
            let id = add(.film, title(filmPatterns))
            let director = directors.randomElement(using: &rng)!
            let born = entities[director][number: .birthYear]!
            entities[id][link: .director] = director
            entities[id][link: .studio] = (studios.isEmpty ? companies : studios).randomElement(using: &rng)!
            entities[id][number: .releaseYear] = born + 25 + Int(rng.next() % UInt64(min(65, 2024 - born - 25) + 1))
            entities[id][number: .budget] = Self.logUniform(1, 250, round: 1, using: &rng)
            entities[id][number: .runtime] = 78 + Int(rng.next() % 118)
        }
        for _ in 0..<config.books {
            let id = add(.book, title(bookPatterns))
            let author = writers.randomElement(using: &rng)!
            let born = entities[author][number: .birthYear]!
            entities[id][link: .author] = author
            entities[id][link: .publisher] = (publishers.isEmpty ? companies : publishers).randomElement(using: &rng)!
            entities[id][number: .publicationYear] = born + 20 + Int(rng.next() % UInt64(min(70, 2024 - born - 20) + 1))
            entities[id][number: .pages] = 80 + Int(rng.next() % 1021)
        }
        return World(seed: seed, entities: entities)
    }

    /// Log-uniform integer in [low, high], rounded to a multiple of `round`.
    static func logUniform(_ low: Int, _ high: Int, round: Int, using rng: inout SeededGenerator) -> Int {
        let value = exp(log(Double(low)) + rng.nextDouble() * (log(Double(high)) - log(Double(low))))
        return max(round, Int(value / Double(round)) * round)
    }

    /// An index in 0..<count biased toward small values (a few popular cities).
    static func skewedIndex(_ count: Int, using rng: inout SeededGenerator) -> Int {
        let u = rng.nextDouble()
        return min(count - 1, Int(u * u * Double(count)))
    }

    /// Copies `attribute` from one member of `ids` to another for a `share` of them: equal values on purpose.
    static func shareValues(of attribute: Attribute, among ids: [Int], share: Double, in entities: inout [Entity], using rng: inout SeededGenerator) {
        guard ids.count >= 2 else { return }
        for _ in 0..<Int(Double(ids.count) * share) {
            let from = ids.randomElement(using: &rng)!
            let to = ids.randomElement(using: &rng)!
            if from != to { entities[to][number: attribute] = entities[from][number: attribute] }
        }
    }
}
