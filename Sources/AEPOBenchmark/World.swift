/// A generated world: every entity with its attributes and relations. Pages and questions are
/// derived from it; it is saved as `world.json`.
public struct World: Codable, Equatable, Sendable {
    /// The seed the world was generated from.
    public let seed: UInt64
    /// Entities in id order (`entities[i].id == i`).
    public let entities: [Entity]
    /// Ids by kind, in id order (derived from `entities`, not stored in the file).
    private let idsByKind: [EntityKind: [Int]]

    private enum CodingKeys: String, CodingKey { case seed, entities }

    public init(seed: UInt64, entities: [Entity]) {
        self.seed = seed
        self.entities = entities
        self.idsByKind = Dictionary(grouping: entities, by: \.kind).mapValues { $0.map(\.id) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let entities = try container.decode([Entity].self, forKey: .entities)
        for (index, entity) in entities.enumerated() where entity.id != index || entity.links.values.contains(where: { !entities.indices.contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: .entities, in: container,
                                                   debugDescription: "entity \(index) must have id \(index) and link only to existing ids")
        }
        self.init(seed: try container.decode(UInt64.self, forKey: .seed), entities: entities)
    }

    public static func == (a: World, b: World) -> Bool { a.seed == b.seed && a.entities == b.entities }

    public subscript(id: Int) -> Entity { entities[id] }

    /// Ids of every entity of `kind`, in id order.
    public func ids(of kind: EntityKind) -> [Int] {
        idsByKind[kind] ?? []
    }
}
