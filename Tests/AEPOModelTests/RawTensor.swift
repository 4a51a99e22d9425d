import AEPOCore
import Foundation
import XCTest

/// A tensor given as raw bytes with any dtype string, for crafting safetensors files byte by byte
/// (independently of `Safetensors.write`), including corrupt ones.
struct RawTensor {
    var name: String
    var dtype: String
    var shape: [Int]
    var bytes: [UInt8]

    /// A well-formed file: header entries in the given order, data laid out back to back.
    static func file(_ tensors: [RawTensor]) -> Data {
        var entries: [String] = []
        var data: [UInt8] = []
        for t in tensors {
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append(#""\#(t.name)":{"dtype":"\#(t.dtype)","shape":[\#(shape)],"data_offsets":[\#(data.count),\#(data.count + t.bytes.count)]}"#)
            data += t.bytes
        }
        return file(header: "{" + entries.joined(separator: ",") + "}", data: data)
    }

    /// A file with a verbatim header (and, if given, a declared header length that may lie).
    static func file(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> Data {
        let headerBytes = Array(header.utf8)
        return Data(littleEndianBytes(declaredLength ?? UInt64(headerBytes.count)) + headerBytes + data)
    }
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// Asserts that `expression` throws an `InputError` whose description contains every string in `mentions`.
func assertInputError<T>(_ expression: @autoclosure () throws -> T, mentions: [String],
                         file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try expression()
        XCTFail("expected an InputError mentioning \(mentions)", file: file, line: line)
    } catch let error as InputError {
        for text in mentions where !error.description.contains(text) {
            XCTFail("error '\(error)' does not mention '\(text)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected an InputError, got \(type(of: error)): \(error)", file: file, line: line)
    }
}
