import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

@testable import AEPOModel

/// Seeded mutations of safetensors files: each load ends in an `InputError` or a valid load (whose tensors then
/// convert), never a trap.
final class SafetensorsFuzzTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory("safetensors-fuzz")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Loads `bytes` written to a file with `load`; counts a load or an `InputError`, fails on any other error.
    private func attempt(_ bytes: [UInt8], name: String, counts: inout (loaded: Int, refused: Int), load: (URL) throws -> Void) throws {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        do {
            try load(url)
            counts.loaded += 1
        } catch is InputError {
            counts.refused += 1
        } catch {
            XCTFail("\(name): not an InputError: \(error)")
        }
    }

    /// The header (its length fixed up, two times in three) or the whole file (length field, data, end) mutated.
    private func mutations(of file: Data, count: Int, seed: UInt64) -> [[UInt8]] {
        let bytes = Array(file)
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = Array(bytes[8..<(8 + headerLength)]), data = Array(bytes[(8 + headerLength)...])
        var mutator = ByteMutator(seed: seed)
        return (0..<count).map { i in
            if i % 3 == 2 { return mutator.mutate(bytes) }
            let mutated = mutator.mutate(header)
            return withUnsafeBytes(of: UInt64(mutated.count).littleEndian, Array.init) + mutated + data
        }
    }

    func testMutatedFilesLoadOrFailCleanly() throws {
        let original = directory.appendingPathComponent("original.safetensors")
        try Safetensors.write([
            Safetensors.Tensor(name: "model.w", shape: [2, 3], values: [1, -2, 3.5, 0, 1e-3, 7]),
            Safetensors.Tensor(name: "model.s", shape: [], values: [4]),
            Safetensors.Tensor(name: "model.e", shape: [0, 4], values: []),
            Safetensors.Tensor(name: "model.v", shape: [4], values: [0.5, 0.25, -1, 2]),
        ], metadata: ["format": "pt"], to: original)
        let file = try Data(contentsOf: original)
        var counts = (loaded: 0, refused: 0)
        let start = Date()
        for (i, bytes) in mutations(of: file, count: 300, seed: 15).enumerated() {
            try attempt(bytes, name: "m\(i).safetensors", counts: &counts) { url in
                let loaded = try Safetensors(contentsOf: url)
                for name in loaded.tensors.keys { _ = try loaded.floats(name) }
            }
        }
        XCTAssertGreaterThan(counts.loaded, 20)
        XCTAssertGreaterThan(counts.refused, 150)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }

    /// A model directory whose weights are mutated: the checkpoint loads (shapes, ties, finite weights checked) or is refused.
    func testMutatedCheckpointsLoadOrFailCleanly() throws {
        let fixture = Fixtures.url("qwen3-tiny-a")
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("config.json"), to: directory.appendingPathComponent("config.json"))
        var counts = (loaded: 0, refused: 0)
        for bytes in mutations(of: try Data(contentsOf: fixture.appendingPathComponent("model.safetensors")), count: 100, seed: 16) {
            try attempt(bytes, name: Checkpoint.weightsFileName, counts: &counts) { _ in
                _ = try Checkpoint.load(directory: directory)
            }
        }
        XCTAssertGreaterThan(counts.loaded, 5)
        XCTAssertGreaterThan(counts.refused, 50)
    }
}
