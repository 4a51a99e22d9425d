/// A generated world: every entity with its attributes and relations. Pages and questions are
/// derived from it; it is saved as `world.json`.
public struct World: Codable, Equatable, Sendable {
    /// The seed the world was generated from.
    public var seed: UInt64
    /// Entities in id order (`entities[i].id == i`).
    public var entities: [Entity]

    public init(seed: UInt64, entities: [Entity]) {
        self.seed = seed
        self.entities = entities
    }

    public subscript(id: Int) -> Entity { entities[id] }

    /// Ids of every entity of `kind`, in id order.
    public func ids(of kind: EntityKind) -> [Int] {
        entities.filter { $0.kind == kind }.map(\.id)
    }

    /// The entity `relation` links `id` to.
    public func follow(_ relation: Relation, from id: Int) -> Int? {
        entities[id][link: relation]
    }
}
