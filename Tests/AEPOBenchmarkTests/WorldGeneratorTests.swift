@testable import AEPOBenchmark
import XCTest

final class WorldGeneratorTests: XCTestCase {
    func testSameSeedSameWorldDifferentSeedDifferentWorld() {
        let generator = WorldGenerator(configuration: .small)
        XCTAssertEqual(generator.generate(seed: 3), generator.generate(seed: 3))
        let (a, b) = (generator.generate(seed: 3), generator.generate(seed: 4))
        XCTAssertNotEqual(a.entities.map(\.name), b.entities.map(\.name))
    }

    func testCountsKindsAndRelationsAreConsistent() {
        let config = WorldConfiguration.small
        let world = WorldGenerator(configuration: config).generate(seed: 1)
        XCTAssertEqual(world.entities.count,
                       config.people + config.cities + config.countries + config.companies + config.films + config.books + config.universities)
        XCTAssertEqual(world.ids(of: .person).count, config.people)
        XCTAssertEqual(world.ids(of: .film).count, config.films)
        XCTAssertEqual(Set(world.entities.map { $0.name.lowercased() }).count, world.entities.count, "names are unique")
        for (index, entity) in world.entities.enumerated() {
            XCTAssertEqual(entity.id, index)
            for relation in Relation.allCases where relation.source == entity.kind {
                guard let target = entity[link: relation] else { return XCTFail("\(entity.name) lacks \(relation)") }
                XCTAssertEqual(world[target].kind, relation.target, "\(entity.name).\(relation)")
            }
        }
        // Capitals lie in their own country; works come after their makers' birth.
        for id in world.ids(of: .country) { XCTAssertEqual(world[world[id][link: .capital]!][link: .country], id) }
        for id in world.ids(of: .film) {
            let film = world[id]
            XCTAssertGreaterThanOrEqual(film[number: .releaseYear]! - world[film[link: .director]!][number: .birthYear]!, 25)
        }
    }

    func testDistractorsExist() {
        let world = WorldGenerator(configuration: .small).generate(seed: 1)
        let people = world.ids(of: .person).map { world[$0].name.split(separator: " ") }
        XCTAssertLessThan(Set(people.map { $0.last! }).count, people.count / 2, "last names are shared")
        XCTAssertLessThan(Set(people.map { $0.first! }).count, people.count / 2, "first names are shared")
        // Names one vowel apart.
        let shapes = world.entities.map { String($0.name.lowercased().map { "aeiou".contains($0) ? "*" : $0 }) }
        XCTAssertLessThan(Set(shapes).count, shapes.count, "some names differ only in a vowel")
        let populations = world.ids(of: .city).map { world[$0][number: .population]! }
        XCTAssertLessThan(Set(populations).count, populations.count, "two cities share a population")
    }

    func testNamesAreMadeOfSyllables() {
        let world = WorldGenerator(configuration: .small).generate(seed: 2)
        for id in world.ids(of: .person) + world.ids(of: .city) {
            let name = world[id].name
            XCTAssertTrue(name.allSatisfy { $0.isLetter || $0 == " " }, name)
            XCTAssertTrue((3...32).contains(name.count), name)
        }
    }
}
