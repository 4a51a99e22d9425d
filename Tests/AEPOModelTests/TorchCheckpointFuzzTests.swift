import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

@testable import AEPOModel

/// Truncated and mutated PyTorch files: each read ends in an `InputError` or a valid table (whose tensors then convert),
/// never a trap.
final class TorchCheckpointFuzzTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory("torch-checkpoint-fuzz")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Reads `bytes` as a .bin file; counts a read or an `InputError`, fails on any other error.
    private func attempt(_ bytes: [UInt8], counts: inout (loaded: Int, refused: Int)) throws {
        let url = directory.appendingPathComponent("fuzzed.bin")
        try Data(bytes).write(to: url)
        do {
            let file = try TorchCheckpoint.read(contentsOf: url)
            for name in file.tensors.keys { _ = try file.floats(name) }
            counts.loaded += 1
        } catch let error as InputError {
            XCTAssertEqual(error.source, url.path, "\(error)")
            counts.refused += 1
        } catch {
            XCTFail("not an InputError: \(error)")
        }
    }

    func testTruncatedFilesAreRefused() throws {
        for name in ["views", "protocol-4"] {
            let bytes = Array(try Data(contentsOf: Fixtures.url("torch-bin/state-dict/\(name).bin")))
            var counts = (loaded: 0, refused: 0)
            for length in stride(from: 0, to: bytes.count, by: 5) {
                try attempt(Array(bytes.prefix(length)), counts: &counts)
            }
            XCTAssertEqual(counts.loaded, 0, name)
        }
    }

    /// Mutations of the whole file, and of its pickle alone (the archive rebuilt around it).
    func testMutatedFilesLoadOrFailCleanly() throws {
        let counts = try mutate("views", times: 400, seed: 21)
        XCTAssertGreaterThan(counts.loaded, 20)
        XCTAssertGreaterThan(counts.refused, 150)
    }

    /// The same for a protocol 4 pickle of strided views (frames, MEMOIZE, STACK_GLOBAL).
    func testMutatedProtocol4FilesLoadOrFailCleanly() throws {
        let counts = try mutate("protocol-4", times: 200, seed: 22)
        XCTAssertGreaterThan(counts.loaded, 20)
        XCTAssertGreaterThan(counts.refused, 100)
    }

    /// Reads `times` mutations of the fixture `state-dict/NAME.bin`, half of its whole file, half of its pickle alone.
    private func mutate(_ name: String, times: Int, seed: UInt64) throws -> (loaded: Int, refused: Int) {
        let url = Fixtures.url("torch-bin/state-dict/\(name).bin")
        let bytes = Array(try Data(contentsOf: url))
        let entries = try StoredZip.entries(of: url)
        var mutator = ByteMutator(seed: seed)
        var counts = (loaded: 0, refused: 0)
        for i in 0..<times {
            if i % 2 == 0 {
                try attempt(mutator.mutate(bytes), counts: &counts)
            } else {
                let mutated = entries.map { $0.name.hasSuffix("data.pkl") ? ($0.name, mutator.mutate($0.bytes)) : $0 }
                try attempt(Array(StoredZip(entries: mutated).data), counts: &counts)
            }
        }
        return counts
    }
}
