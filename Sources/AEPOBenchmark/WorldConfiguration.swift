import AEPOCore

/// How many entities of each kind a generated world has.
public struct WorldConfiguration: Codable, Equatable, Sendable {
    public var people: Int
    public var cities: Int
    public var countries: Int
    public var companies: Int
    public var films: Int
    public var books: Int
    public var universities: Int

    public init(people: Int, cities: Int, countries: Int, companies: Int, films: Int, books: Int, universities: Int) {
        self.people = people
        self.cities = cities
        self.countries = countries
        self.companies = companies
        self.films = films
        self.books = books
        self.universities = universities
    }

    /// About 400 entities: for tests.
    public static let small = WorldConfiguration(people: 160, cities: 40, countries: 8, companies: 60, films: 50, books: 50, universities: 20)
    /// About 3,700 entities: far more names than a small model can memorise, generated in seconds.
    public static let standard = WorldConfiguration(people: 1500, cities: 300, countries: 24, companies: 600, films: 600, books: 600, universities: 120)
    /// About 18,000 entities.
    public static let large = WorldConfiguration(people: 7500, cities: 1500, countries: 60, companies: 3000, films: 3000, books: 3000, universities: 500)

    /// Checks that every kind has enough members for the relations between them.
    public func validate(source: String) throws {
        let minimums: [(String, Int, Int)] = [
            ("people", people, 20), ("cities", cities, 4), ("countries", countries, 2), ("companies", companies, 8),
            ("films", films, 4), ("books", books, 4), ("universities", universities, 2),
        ]
        for (field, value, minimum) in minimums where value < minimum {
            throw InputError("must be at least \(minimum), got \(value)", source: source, field: field)
        }
        if countries > cities {
            throw InputError("must not exceed cities (\(cities)), got \(countries)", source: source, field: "countries")
        }
    }
}
