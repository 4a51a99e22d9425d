import AEPOCore
import AEPOTools

/// Writes the corpus of a world: one page per entity (page `i` is about entity `i`), each fact
/// in one of several wordings and in varying order, naming the entities it links to; then
/// distractor pages — surname lists and yearly chronicles — that share names and years with
/// the entity pages but never answer a relation.
public enum CorpusBuilder {
    public static func pages(for world: World) -> [Page] {
        var rng = SeededGenerator(seed: world.seed).derived(stream: 0xC0_4905)
        var pages = world.entities.map { entityPage($0, in: world, using: &rng) }
        pages += surnamePages(world)
        pages += chroniclePages(world)
        return pages
    }

    /// One of `templates` with `{name}`-style placeholders filled from `values`.
    static func fill(_ templates: [String], _ values: [String: String], using rng: inout SeededGenerator) -> String {
        var text = templates.randomElement(using: &rng)!
        for (key, value) in values { text = text.replacingOccurrences(of: "{\(key)}", with: value) }
        return text
    }

    /// "a film director", "an entrepreneur".
    static func withArticle(_ noun: String) -> String {
        ("aeiou".contains(noun.first ?? "x") ? "an " : "a ") + noun
    }

    static func entityPage(_ entity: Entity, in world: World, using rng: inout SeededGenerator) -> Page {
        let name = entity.name
        func linked(_ relation: Relation) -> String { world[entity[link: relation]!].name }
        func number(_ attribute: Attribute) -> String { String(entity[number: attribute]!) }
        var intro: String
        var facts: [String] = []
        switch entity.kind {
        case .person:
            let last = String(name.split(separator: " ").last!)
            let job = entity[label: .occupation]!
            let values = ["name": name, "last": last, "job": job, "a_job": withArticle(job), "year": number(.birthYear),
                          "city": linked(.bornIn), "univ": linked(.studiedAt)]
            intro = fill(["{name} is {a_job}.", "{name} is known as {a_job}.", "{name} works as {a_job}."], values, using: &rng)
            facts.append(fill(["{name} was born in {year}.", "{last} was born in the year {year}.", "The {job} {name} was born in {year}."], values, using: &rng))
            facts.append(fill(["{name} was born in the city of {city}.", "The birthplace of {last} is {city}.", "{last} comes from {city}, the city of {last}'s birth."], values, using: &rng))
            facts.append(fill(["{name} studied at {univ}.", "{last} is a graduate of {univ}.", "{last} attended {univ}."], values, using: &rng))
        case .city:
            let country = linked(.country)
            let values = ["name": name, "country": country, "pop": number(.population)]
            intro = fill(["{name} is a city in {country}.", "{name} is a city located in {country}.", "The city of {name} lies in {country}."], values, using: &rng)
            facts.append(fill(["{name} has a population of {pop}.", "About {pop} people live in {name}.", "The population of {name} is {pop}."], values, using: &rng))
            if world[entity[link: .country]!][link: .capital] == entity.id {
                facts.append(fill(["{name} is the capital of {country}.", "It is the capital city of {country}."], values, using: &rng))
            }
        case .country:
            let values = ["name": name, "capital": linked(.capital), "pop": number(.population)]
            intro = fill(["{name} is a country whose capital is {capital}.", "{name} is a country. Its capital city is {capital}."], values, using: &rng)
            facts.append(fill(["{name} has a population of {pop}.", "The population of {name} is {pop}."], values, using: &rng))
        case .company:
            let values = ["name": name, "industry": entity[label: .industry]!, "an_industry": withArticle(entity[label: .industry]!), "founder": linked(.founder), "year": number(.foundedYear),
                          "city": linked(.headquarters), "n": number(.employees)]
            intro = fill(["{name} is {an_industry} company.", "{name} is a company in the {industry} industry."], values, using: &rng)
            facts.append(fill(["It was founded by {founder}.", "{name} was founded by {founder}.", "The founder of {name} is {founder}."], values, using: &rng))
            facts.append(fill(["{name} was founded in {year}.", "The company was established in {year}."], values, using: &rng))
            facts.append(fill(["It is headquartered in {city}.", "{name} has its headquarters in {city}.", "The company is based in {city}."], values, using: &rng))
            facts.append(fill(["{name} employs {n} people.", "It has {n} employees.", "The company has a workforce of {n}."], values, using: &rng))
        case .film:
            let values = ["name": name, "year": number(.releaseYear), "director": linked(.director), "studio": linked(.studio),
                          "budget": number(.budget), "runtime": number(.runtime)]
            intro = fill(["{name} is a film released in {year}.", "{name} is a {year} film."], values, using: &rng)
            facts.append(fill(["It was directed by {director}.", "{name} was directed by {director}.", "The director of {name} is {director}."], values, using: &rng))
            facts.append(fill(["It was produced by {studio}.", "{studio} produced the film.", "The film was made by {studio}."], values, using: &rng))
            facts.append(fill(["Its budget was {budget} million dollars.", "The film cost {budget} million dollars to make."], values, using: &rng))
            facts.append(fill(["It runs {runtime} minutes.", "The running time of {name} is {runtime} minutes."], values, using: &rng))
        case .book:
            let values = ["name": name, "year": number(.publicationYear), "author": linked(.author), "publisher": linked(.publisher),
                          "pages": number(.pages)]
            intro = fill(["{name} is a book published in {year}.", "{name} is a {year} book."], values, using: &rng)
            facts.append(fill(["It was written by {author}.", "The author of {name} is {author}.", "{author} wrote the book."], values, using: &rng))
            facts.append(fill(["It was published by {publisher}.", "{publisher} published {name}."], values, using: &rng))
            facts.append(fill(["It has {pages} pages.", "The book is {pages} pages long."], values, using: &rng))
        case .university:
            let values = ["name": name, "city": linked(.located), "year": number(.foundedYear), "students": number(.students)]
            intro = fill(["{name} is a university in {city}.", "{name} is located in {city}."], values, using: &rng)
            facts.append(fill(["It was founded in {year}.", "{name} was established in {year}."], values, using: &rng))
            facts.append(fill(["It has {students} students.", "About {students} students study at {name}."], values, using: &rng))
        }
        facts.shuffle(using: &rng)
        return Page(title: name, text: ([intro] + facts).joined(separator: " "))
    }

    /// "Tolsek (surname)": the people who share a last name (a search for one of them finds this too).
    static func surnamePages(_ world: World) -> [Page] {
        var byLast: [String: [String]] = [:]
        for entity in world.entities where entity.kind == .person {
            byLast[String(entity.name.split(separator: " ").last!), default: []].append(entity.name)
        }
        return byLast.keys.sorted().compactMap { last in
            let names = byLast[last]!
            guard names.count >= 2 else { return nil }
            let listed = names.prefix(6)
            let list = listed.dropLast().joined(separator: ", ") + " and " + listed.last!
            return Page(title: "\(last) (surname)", text: "\(last) is a family name. People with this name include \(list).")
        }
    }

    /// "1962 in review": films released, books published and companies founded in one year.
    static func chroniclePages(_ world: World) -> [Page] {
        var events: [Int: [String]] = [:]
        for entity in world.entities {
            switch entity.kind {
            case .film: events[entity[number: .releaseYear]!, default: []].append("the film \(entity.name) was released")
            case .book: events[entity[number: .publicationYear]!, default: []].append("the book \(entity.name) was published")
            case .company: events[entity[number: .foundedYear]!, default: []].append("\(entity.name) was founded")
            default: break
            }
        }
        return events.keys.sorted().compactMap { year in
            let items = events[year]!
            guard items.count >= 2 else { return nil }
            return Page(title: "\(year) in review", text: "Events of \(year): " + items.prefix(6).joined(separator: "; ") + ".")
        }
    }
}
