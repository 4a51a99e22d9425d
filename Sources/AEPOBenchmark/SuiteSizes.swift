import AEPOCore
import AEPOTools

/// How many questions each suite gets per split.
public struct SuiteSizes: Codable, Equatable, Sendable {
    public var train: Int
    public var test: Int
    public var testOOD: Int

    public init(train: Int, test: Int, testOOD: Int) {
        self.train = train
        self.test = test
        self.testOOD = testOOD
    }

    public static let small = SuiteSizes(train: 24, test: 8, testOOD: 8)
    public static let standard = SuiteSizes(train: 500, test: 100, testOOD: 100)
    public static let large = SuiteSizes(train: 2500, test: 300, testOOD: 300)

    public func count(_ split: QuestionSplit) -> Int {
        switch split {
        case .train: return train
        case .test: return test
        case .testOOD: return testOOD
        }
    }

    public func validate(source: String) throws {
        for (field, value) in [("train", train), ("test", test), ("testOOD", testOOD)] where value < 0 {
            throw InputError("must not be negative, got \(value)", source: source, field: field)
        }
    }
}
