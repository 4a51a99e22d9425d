import AEPOEvaluation
import Foundation
import XCTest

/// Reads TFRecord-framed `Event` protobufs from the specification (record framing, masked CRC-32C,
/// protobuf wire format), independently of the writer's encoder.
private struct EventFileDecoder {
    struct Event: Equatable {
        var wallTime: Double?
        var step: Int64 = 0
        var fileVersion: String?
        /// `SessionLog.status` (1 = START) of a session-log event.
        var sessionStatus: UInt64?
        var scalars: [(tag: String, value: Float)] = []
        static func == (a: Event, b: Event) -> Bool {
            a.wallTime == b.wallTime && a.step == b.step && a.fileVersion == b.fileVersion && a.sessionStatus == b.sessionStatus
                && a.scalars.map(\.tag) == b.scalars.map(\.tag) && a.scalars.map(\.value) == b.scalars.map(\.value)
        }
    }

    struct Corrupt: Error { var reason: String }

    /// CRC-32C bit by bit (no table), then TFRecord's mask.
    static func maskedCRC(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0x82F6_3B78 & (0 &- (crc & 1))) }
        }
        crc = ~crc
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    static func littleEndian<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, as: T.Type) -> T {
        bytes.reversed().reduce(T.zero) { $0 << 8 | T($1) }
    }

    static func records(_ data: [UInt8]) throws -> [ArraySlice<UInt8>] {
        var records: [ArraySlice<UInt8>] = []
        var offset = 0
        while offset < data.count {
            guard offset + 12 <= data.count else { throw Corrupt(reason: "truncated header") }
            let lengthBytes = data[offset..<offset + 8]
            let length = Int(littleEndian(lengthBytes, as: UInt64.self))
            guard littleEndian(data[offset + 8..<offset + 12], as: UInt32.self) == maskedCRC(lengthBytes) else {
                throw Corrupt(reason: "length checksum")
            }
            let start = offset + 12
            guard start + length + 4 <= data.count else { throw Corrupt(reason: "truncated record") }
            let payload = data[start..<start + length]
            guard littleEndian(data[start + length..<start + length + 4], as: UInt32.self) == maskedCRC(payload) else {
                throw Corrupt(reason: "data checksum")
            }
            records.append(payload)
            offset = start + length + 4
        }
        return records
    }

    /// Protobuf fields of a message: (field number, wire type, varint value or payload).
    static func fields(_ bytes: ArraySlice<UInt8>) throws -> [(field: Int, wire: Int, value: UInt64, payload: ArraySlice<UInt8>)] {
        var result: [(Int, Int, UInt64, ArraySlice<UInt8>)] = []
        var i = bytes.startIndex
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex else { throw Corrupt(reason: "varint") }
                let byte = bytes[i]; i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        while i < bytes.endIndex {
            let key = try varint()
            let field = Int(key >> 3), wire = Int(key & 7)
            switch wire {
            case 0: result.append((field, wire, try varint(), []))
            case 1: result.append((field, wire, littleEndian(bytes[i..<i + 8], as: UInt64.self), [])); i += 8
            case 5: result.append((field, wire, UInt64(littleEndian(bytes[i..<i + 4], as: UInt32.self)), [])); i += 4
            case 2:
                let n = Int(try varint())
                result.append((field, wire, 0, bytes[i..<i + n])); i += n
            default: throw Corrupt(reason: "wire type \(wire)")
            }
        }
        return result
    }

    static func events(_ data: [UInt8]) throws -> [Event] {
        try records(data).map { record in
            var event = Event()
            for f in try fields(record) {
                switch (f.field, f.wire) {
                case (1, 1): event.wallTime = Double(bitPattern: f.value)
                case (2, 0): event.step = Int64(bitPattern: f.value)
                case (3, 2): event.fileVersion = String(decoding: f.payload, as: UTF8.self)
                case (5, 2):
                    for value in try fields(f.payload) where value.field == 1 && value.wire == 2 {
                        var tag = "", scalar: Float = .nan
                        for g in try fields(value.payload) {
                            if g.field == 1 && g.wire == 2 { tag = String(decoding: g.payload, as: UTF8.self) }
                            if g.field == 2 && g.wire == 5 { scalar = Float(bitPattern: UInt32(g.value)) }
                        }
                        event.scalars.append((tag, scalar))
                    }
                case (7, 2):
                    for g in try fields(f.payload) where g.field == 1 && g.wire == 0 { event.sessionStatus = g.value }
                default: throw Corrupt(reason: "unexpected field \(f.field)")
                }
            }
            return event
        }
    }
}

final class TensorBoardTests: XCTestCase {
    func testCRC32CKnownValues() {
        // The standard check value of CRC-32C, and RFC 3720's 32 zero bytes.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.masked(Array("abc".utf8)), EventFileDecoder.maskedCRC(ArraySlice("abc".utf8)))
    }

    func testWrittenEventsDecodeWithValidChecksums() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aepo-tb-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        var time = 1_700_000_000.25
        let writer = try TensorBoardWriter(directory: directory, clock: { time })
        XCTAssertTrue(writer.url.lastPathComponent.hasPrefix("events.out.tfevents.1700000000."))
        time += 1
        try writer.write(step: 1, scalars: ["rl/reward": 0.5, "rl/entropy": 1.25])
        time += 1
        try writer.write(step: 300, scalars: ["rl/reward": -1])
        let data = [UInt8](try Data(contentsOf: writer.url))
        let events = try EventFileDecoder.events(data)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[0].wallTime, 1_700_000_000.25)
        XCTAssertEqual(events[1].step, 1)
        XCTAssertEqual(events[1].wallTime, 1_700_000_001.25)
        XCTAssertEqual(events[1].scalars.map(\.tag), ["rl/entropy", "rl/reward"])
        XCTAssertEqual(events[1].scalars.map(\.value), [1.25, 0.5])
        XCTAssertEqual(events[2].step, 300)
        XCTAssertEqual(events[2].scalars.map(\.value), [-1])

        // A flipped data byte breaks the data checksum; a flipped length byte the length checksum.
        var corrupt = data
        corrupt[data.count - 6] ^= 0x01
        XCTAssertThrowsError(try EventFileDecoder.records(corrupt)) { XCTAssertEqual(($0 as? EventFileDecoder.Corrupt)?.reason, "data checksum") }
        corrupt = data
        corrupt[0] ^= 0x01
        XCTAssertThrowsError(try EventFileDecoder.records(corrupt)) { XCTAssertEqual(($0 as? EventFileDecoder.Corrupt)?.reason, "length checksum") }

        // A second writer in the same second gets its own file.
        let second = try TensorBoardWriter(directory: directory, clock: { 1_700_000_000.25 })
        XCTAssertNotEqual(second.url, writer.url)
    }

    /// A killed run's file and its resumed session's: the second opens with a SessionLog START at the first redone
    /// step; reading the files in order and purging, at a START of step s, what was read with step ≥ s (TensorBoard's
    /// orphaned-data rule) leaves each step once, with the resumed session's values.
    func testResumedSessionStartPurgesTheRedoneSteps() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aepo-tb-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let killed = try TensorBoardWriter(directory: directory, clock: { 1_700_000_000 })
        try killed.writeSessionStart(step: 1)
        for step in 1...3 { try killed.write(step: step, scalars: ["rl/reward": Double(step)]) }
        let resumed = try TensorBoardWriter(directory: directory, clock: { 1_700_000_100 })
        try resumed.writeSessionStart(step: 3)
        for step in 3...4 { try resumed.write(step: step, scalars: ["rl/reward": Double(step) + 0.5]) }

        let second = try EventFileDecoder.events([UInt8](try Data(contentsOf: resumed.url)))
        XCTAssertEqual(second.map(\.sessionStatus), [nil, 1, nil, nil])
        XCTAssertEqual(second[1].step, 3)
        XCTAssertEqual(second[1].wallTime, 1_700_000_100)
        XCTAssertTrue(second[1].scalars.isEmpty)

        var kept: [(step: Int64, value: Float)] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertEqual(files, [killed.url.lastPathComponent, resumed.url.lastPathComponent])
        for file in files {
            for event in try EventFileDecoder.events([UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))) {
                if event.sessionStatus == 1 { kept.removeAll { $0.step >= event.step } }
                kept += event.scalars.map { (event.step, $0.value) }
            }
        }
        XCTAssertEqual(kept.map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(kept.map(\.value), [1, 2, 3.5, 4.5])
    }
}
