import AEPOCore

/// One kind of question a suite asks (a chain of relations, a comparison, an arithmetic form):
/// `make` drafts a random instance from the world, or returns nil when the draw does not fit.
struct Composition: Sendable {
    var id: String
    var make: @Sendable (World, inout SeededGenerator) -> QuestionDraft?
}
