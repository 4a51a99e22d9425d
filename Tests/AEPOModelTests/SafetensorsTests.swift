import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

@testable import AEPOModel

final class SafetensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ data: Data, name: String = "model.safetensors") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// Reads 16-bit patterns stored as `dtype` through a real file and compares with hand-decoded floats.
    private func assertConverts(_ dtype: String, _ cases: [(UInt16, Float)], file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try write(RawTensor.file([RawTensor(name: "t", dtype: dtype, shape: [cases.count], bytes: cases.flatMap { littleEndianBytes($0.0) })]))
        let values = try Safetensors(contentsOf: url).floats("t")
        for ((bits, expected), value) in zip(cases, values) {
            if expected.isNaN {
                XCTAssertTrue(value.isNaN, "\(dtype) 0x\(String(bits, radix: 16)) → \(value), expected NaN", file: file, line: line)
            } else {
                XCTAssertEqual(value.bitPattern, expected.bitPattern, "\(dtype) 0x\(String(bits, radix: 16)) → \(value), expected \(expected)", file: file, line: line)
            }
        }
    }

    func testConvertsBF16() throws {
        try assertConverts("BF16", [
            (0x3F80, 1), (0xBF80, -1), (0x0000, 0), (0x8000, -0.0),
            (0x3EAB, 0x1.56p-2),      // 1/3 rounded to nearest bf16: 0.333984375
            (0x3EAA, 0x1.54p-2),      // its lower neighbour (1/3 truncated)
            (0x4049, 3.140625),       // π rounded to bf16
            (0x0080, 0x1p-126),       // smallest normal
            (0x007F, 0x1.FCp-127),    // largest subnormal: 127 · 2⁻¹³³
            (0x0001, 0x1p-133),       // smallest subnormal
            (0x8001, -0x1p-133),
            (0x7F7F, 0x1.FEp127),     // largest finite
            (0x7F80, .infinity), (0xFF80, -.infinity), (0x7FC0, .nan), (0xFFC1, .nan),
        ])
    }

    func testConvertsF16() throws {
        try assertConverts("F16", [
            (0x3C00, 1), (0xC000, -2), (0x0000, 0), (0x8000, -0.0),
            (0x3555, 0x1.554p-2),     // 1/3 rounded to nearest half: 0.333251953125
            (0x3C01, 0x1.004p0),      // 1 + 2⁻¹⁰
            (0x7BFF, 65504),          // largest finite
            (0x0400, 0x1p-14),        // smallest normal
            (0x03FF, 0x1.FF8p-15),    // largest subnormal: 1023 · 2⁻²⁴
            (0x0001, 0x1p-24),        // smallest subnormal
            (0x8001, -0x1p-24),
            (0x0200, 0x1p-15),
            (0x7C00, .infinity), (0xFC00, -.infinity), (0x7E00, .nan), (0x7C01, .nan), (0xFE00, .nan),
        ])
    }

    #if !(os(macOS) && arch(x86_64))
    /// Every one of the 65,536 half-precision values against the toolchain's own Float16 conversion.
    func testF16ConversionMatchesFloat16Everywhere() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let value = Safetensors.halfToFloat(bits)
            if expected.isNaN {
                XCTAssertTrue(value.isNaN, "0x\(String(bits, radix: 16))")
            } else if value.bitPattern != expected.bitPattern {
                XCTFail("0x\(String(bits, radix: 16)): \(value) ≠ \(expected)")
                return
            }
        }
    }
    #endif

    func testReadsF32AndMetadata() throws {
        let values: [Float] = [1.5, -2.25, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.0, 7]
        let header = #"{"__metadata__":{"format":"pt"},"m":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"s":{"dtype":"F32","shape":[],"data_offsets":[24,28]},"e":{"dtype":"F16","shape":[0,4],"data_offsets":[28,28]}}"#
        let url = try write(RawTensor.file(header: header, data: values.flatMap { littleEndianBytes($0.bitPattern) } + littleEndianBytes(Float(3).bitPattern)))
        let file = try Safetensors(contentsOf: url)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.tensors["m"], Safetensors.TensorInfo(dtype: .f32, shape: [2, 3], dataOffsets: 0..<24))
        XCTAssertEqual(try file.floats("m").map(\.bitPattern), values.map(\.bitPattern))
        XCTAssertEqual(try file.floats("s"), [3], "a scalar has one element")
        XCTAssertEqual(try file.floats("e"), [])
        assertInputError(try file.floats("absent"), mentions: [url.path, "absent"])
    }

    /// The writer's exact bytes: sorted names, data in that order, header padded with spaces to 8.
    func testWritesSortedPaddedF32() throws {
        let url = directory.appendingPathComponent("out.safetensors")
        try Safetensors.write([
            Safetensors.Tensor(name: "b", shape: [2], values: [1, 2]),
            Safetensors.Tensor(name: "a", shape: [1, 1], values: [-3]),
        ], metadata: ["format": "pt"], to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let header = #"{"__metadata__":{"format":"pt"},"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1,1]},"b":{"data_offsets":[4,12],"dtype":"F32","shape":[2]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        XCTAssertEqual(padded.utf8.count % 8, 0)
        let expected = littleEndianBytes(UInt64(padded.utf8.count)) + Array(padded.utf8)
            + littleEndianBytes(Float(-3).bitPattern) + littleEndianBytes(Float(1).bitPattern) + littleEndianBytes(Float(2).bitPattern)
        XCTAssertEqual(bytes, expected)
        let file = try Safetensors(contentsOf: url)
        XCTAssertEqual(try file.floats("a"), [-3])
        XCTAssertEqual(try file.floats("b"), [1, 2])
    }

    /// Tensors over memory, an empty one among them, are written from there and read back.
    func testWritesTensorsFromMemory() throws {
        let url = directory.appendingPathComponent("memory.safetensors")
        let values: [Float] = (0..<1000).map { Float($0) * 0.5 - 7 }
        try values.withUnsafeBufferPointer { buffer in
            try Safetensors.write([
                Safetensors.Tensor(name: "w", shape: [10, 90], memory: UnsafeBufferPointer(rebasing: buffer[0..<900])),
                Safetensors.Tensor(name: "empty", shape: [0], memory: UnsafeBufferPointer(rebasing: buffer[900..<900])),
                Safetensors.Tensor(name: "v", shape: [100], memory: UnsafeBufferPointer(rebasing: buffer[900..<1000])),
            ], to: url)
        }
        let file = try Safetensors(contentsOf: url)
        XCTAssertEqual(try file.floats("w"), Array(values[0..<900]))
        XCTAssertEqual(try file.floats("v"), Array(values[900..<1000]))
        XCTAssertEqual(try file.floats("empty"), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }, [],
                       "no temporary left behind")
    }

    func testReadsFixtureGradients() throws {
        let file = try Safetensors(contentsOf: Fixtures.url("qwen3-tiny-b/expected_grads.safetensors"))
        let layout = ParameterLayout(config: try Qwen3Config.load(from: Fixtures.url("qwen3-tiny-b/config.json")))
        for entry in layout.entries {
            XCTAssertEqual(file.tensors[entry.name]?.shape, entry.shape, entry.name)
            XCTAssertTrue(try file.floats(entry.name).allSatisfy(\.isFinite), entry.name)
        }
    }

    // MARK: Corrupt files: each names the file and the problem.

    private func assertCorrupt(_ data: Data, mentions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try write(data, name: "corrupt-\(UUID().uuidString).safetensors")
        assertInputError(try Safetensors(contentsOf: url), mentions: [url.path] + mentions, file: file, line: line)
    }

    private let four = littleEndianBytes(Float(1).bitPattern)

    func testRefusesTruncatedFiles() throws {
        try assertCorrupt(Data([1, 0, 0]), mentions: ["too short"])
        try assertCorrupt(RawTensor.file(header: "{}", data: [], declaredLength: 100), mentions: ["header length 100", "past the end"])
        try assertCorrupt(RawTensor.file(header: "{}", data: [], declaredLength: UInt64.max), mentions: ["past the end"])
        // A file cut short inside its data section.
        let whole = RawTensor.file([RawTensor(name: "w", dtype: "F32", shape: [4], bytes: Array(repeating: 0, count: 16))])
        try assertCorrupt(whole.prefix(whole.count - 1), mentions: ["'w'", "out of range"])
        let absent = directory.appendingPathComponent("absent.safetensors")
        assertInputError(try Safetensors(contentsOf: absent), mentions: [absent.path, "cannot read"])
    }

    func testRefusesInvalidHeaderJSON() throws {
        try assertCorrupt(RawTensor.file(header: #"{"w": {"dtype": "F32""#, data: []), mentions: ["not valid JSON"])
        try assertCorrupt(RawTensor.file(header: "[]", data: []), mentions: ["array", "expected an object"])
        try assertCorrupt(RawTensor.file(header: #"{"w": 3}"#, data: []), mentions: ["'w'", "expected an object"])
        try assertCorrupt(RawTensor.file(header: #"{"__metadata__": {"format": 1}}"#, data: []), mentions: ["__metadata__.format"])
        try assertCorrupt(RawTensor.file(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: four), mentions: ["'w'", "data_offsets"])
        try assertCorrupt(RawTensor.file(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four), mentions: ["'w'", "shape"])
        try assertCorrupt(RawTensor.file(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: four), mentions: ["'w'", "dtype"])
    }

    func testRefusesUnsupportedDTypeNamingTheTensor() throws {
        try assertCorrupt(RawTensor.file([RawTensor(name: "model.ids", dtype: "I64", shape: [1], bytes: Array(repeating: 0, count: 8))]),
                          mentions: ["model.ids", "I64", "unsupported dtype"])
    }

    func testRefusesOffsetsOutOfRange() throws {
        try assertCorrupt(RawTensor.file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: four),
                          mentions: ["'w'", "out of range", "4 bytes"])
    }

    func testRefusesEndBeforeBegin() throws {
        try assertCorrupt(RawTensor.file(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: four + four),
                          mentions: ["'w'", "end is before begin"])
    }

    func testRefusesOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try assertCorrupt(RawTensor.file(header: header, data: four + four + four), mentions: ["'a'", "'b'", "overlap"])
    }

    func testRefusesByteCountNotMatchingShape() throws {
        try assertCorrupt(RawTensor.file(header: #"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}}"#, data: four + four),
                          mentions: ["'w'", "8 bytes", "needs 6"])
    }

    func testRefusesDuplicateNames() throws {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try assertCorrupt(RawTensor.file(header: header, data: four + four), mentions: ["duplicate key 'w'"])
    }

    /// A bad dimension is named with the whole shape as written: negative, beyond 64 bits, not an integer, or a
    /// product that overflows or exceeds the file.
    func testRefusesBadDimensionsShowingTheWholeShape() throws {
        let cases: [(shape: String, mentions: [String])] = [
            ("[2, -3, 4]", ["[2, -3, 4]", "dimension 1 is negative"]),
            ("[2, 9223372036854775808]", ["[2, 9.223372036854776e+18]", "dimension 1 is larger than a 64-bit size"]),
            ("[1.5, 2]", ["[1.5, 2]", "dimension 0 is 1.5, expected a non-negative integer"]),
            ("[4294967296, 4294967296, 2]", ["[4294967296, 4294967296, 2]", "more elements than a 64-bit size can count"]),
            ("[3, 5, 7]", ["[3, 5, 7]", "105 elements, more than the data section's 4 bytes"]),
        ]
        for (shape, mentions) in cases {
            try assertCorrupt(RawTensor.file(header: #"{"w":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,4]}}"#, data: four),
                              mentions: ["'w'"] + mentions)
        }
    }
}
