import AEPOCore
import AEPOKernels
import Foundation

/// A `.safetensors` file: an 8-byte little-endian header length N, N bytes of JSON header
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`, offsets relative
/// to the byte after the header), then the raw little-endian tensor bytes.
///
/// Opening validates the whole header (sizes, offsets in range, no overlaps, byte counts equal to
/// shape × dtype size, no duplicate names, supported dtypes) and maps the file; tensors are converted
/// to `Float` on request. F32 is copied as is; BF16 and F16 are widened exactly (every value of both
/// is representable in F32); BF16 can also be copied as it is stored (a model held in bfloat16). Writing produces
/// F32 only. Tensor bytes are little-endian, as on every platform Swift targets, so data is copied without swapping.
/// A PyTorch `.bin` file is read into the same table (`TorchCheckpoint`), so the code reading tensors is shared; its
/// tensors may also be strided views of their storage, which are copied into row-major order as they are read.
public struct Safetensors {
    /// Element types this reader converts to `Float`.
    public enum DType: String, Sendable {
        case f32 = "F32"
        case bf16 = "BF16"
        case f16 = "F16"

        public var byteCount: Int { self == .f32 ? 4 : 2 }
    }

    /// One tensor's header entry.
    public struct TensorInfo: Equatable, Sendable {
        public var dtype: DType
        public var shape: [Int]
        /// Byte range inside the data section (after the header; in a PyTorch file, the whole file): the tensor's bytes,
        /// or those from a strided tensor's first element to its last.
        public var dataOffsets: Range<Int>
        /// Each dimension's step in elements when the tensor is not stored row-major (a transposed, sliced or expanded
        /// view that `torch.save` kept as it was); nil when it is.
        public var strides: [Int]? = nil
        public var count: Int { shape.reduce(1, *) }
    }

    /// A tensor to write: its name, shape and float values (a slice of a larger buffer is fine).
    public struct Tensor {
        public var name: String
        public var shape: [Int]
        private let values: Values

        /// Where the values are: an array's slice, or memory the caller keeps valid until the tensor is written.
        private enum Values {
            case slice(ArraySlice<Float>)
            case memory(UnsafeBufferPointer<Float>)
        }

        public init(name: String, shape: [Int], values: ArraySlice<Float>) {
            self.init(name: name, shape: shape, count: values.count, values: .slice(values))
        }

        /// A tensor over `memory`, which must stay valid until it is encoded (no copy is made).
        public init(name: String, shape: [Int], memory: UnsafeBufferPointer<Float>) {
            self.init(name: name, shape: shape, count: memory.count, values: .memory(memory))
        }

        private init(name: String, shape: [Int], count: Int, values: Values) {
            precondition(shape.reduce(1, *) == count, "tensor \(name): shape \(shape) does not hold \(count) values")
            self.name = name
            self.shape = shape
            self.values = values
        }

        var count: Int { shape.reduce(1, *) }

        /// Calls `body` with the values.
        func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
            switch values {
            case .slice(let slice): return try slice.withUnsafeBufferPointer(body)
            case .memory(let memory): return try body(memory)
            }
        }
    }

    /// The file this was read from (named in errors).
    public let url: URL
    /// The optional `__metadata__` string map.
    public let metadata: [String: String]
    /// Every tensor's header entry, by name.
    public let tensors: [String: TensorInfo]
    private let bytes: Data
    private let dataStart: Int

    /// Opens and validates `url` (memory-mapped where the platform allows).
    public init(contentsOf url: URL) throws {
        let source = url.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw InputError("cannot read file", source: source)
        }
        guard bytes.count >= 8 else {
            throw InputError("file is \(bytes.count) bytes, too short for the 8-byte header length", source: source)
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw InputError("header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)", source: source)
        }
        let dataStart = 8 + Int(headerLength)
        let header: JSONValue
        do {
            header = try JSONValue.parse(bytes[bytes.startIndex + 8 ..< bytes.startIndex + dataStart])
        } catch let error as JSONValue.SyntaxError {
            throw InputError("header is not valid JSON: \(error)", source: source)
        }
        guard let entries = header.objectValue else {
            throw InputError("header is a JSON \(header.typeName), expected an object", source: source)
        }
        let dataSize = bytes.count - dataStart
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, entry) in entries {
            if name == "__metadata__" {
                guard let fields = entry.objectValue else {
                    throw InputError("__metadata__ is a \(entry.typeName), expected an object of strings", source: source)
                }
                for (key, value) in fields {
                    guard let text = value.stringValue else {
                        throw InputError("__metadata__.\(key) is a \(value.typeName), expected a string", source: source)
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors[name] = try Safetensors.tensorInfo(name, entry, dataSize: dataSize, source: source)
        }
        // Overlaps: sorted by start, each tensor must end before the next begins (empty tensors take no bytes).
        let ordered = tensors.filter { !$0.value.dataOffsets.isEmpty }.sorted { $0.value.dataOffsets.lowerBound < $1.value.dataOffsets.lowerBound }
        for (a, b) in zip(ordered, ordered.dropFirst()) where a.value.dataOffsets.upperBound > b.value.dataOffsets.lowerBound {
            throw InputError(
                "tensors '\(a.key)' (bytes \(a.value.dataOffsets)) and '\(b.key)' (bytes \(b.value.dataOffsets)) overlap",
                source: source)
        }
        self.url = url
        self.metadata = metadata
        self.tensors = tensors
        self.bytes = bytes
        self.dataStart = dataStart
    }

    /// A table of tensors whose data offsets count from the first byte of `bytes`, as `TorchCheckpoint` reads them.
    init(url: URL, tensors: [String: TensorInfo], bytes: Data) {
        self.url = url
        self.metadata = [:]
        self.tensors = tensors
        self.bytes = bytes
        self.dataStart = 0
    }

    /// Validates one header entry.
    private static func tensorInfo(_ name: String, _ entry: JSONValue, dataSize: Int, source: String) throws -> TensorInfo {
        func fail(_ message: String) -> InputError { InputError(message, source: source, field: name) }
        guard let fields = entry.objectValue else { throw fail("expected an object, found \(entry.typeName)") }
        guard let dtypeName = fields["dtype"]?.stringValue else { throw fail("missing or non-string 'dtype'") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw fail("tensor '\(name)' has unsupported dtype \(dtypeName) (supported: F32, BF16, F16)")
        }
        guard let shapeList = fields["shape"]?.arrayValue else { throw fail("missing or non-array 'shape'") }
        let written = "[" + shapeList.map { $0.serialized() }.joined(separator: ", ") + "]"
        var shape: [Int] = []
        for (axis, dimension) in shapeList.enumerated() {
            let value = dimension.doubleValue ?? .nan
            guard !(value < 0) else { throw fail("shape \(written): dimension \(axis) is negative") }
            guard let d = dimension.intValue else {
                let problem = value >= 0x1p63 ? "larger than a 64-bit size" : "\(dimension.serialized()), expected a non-negative integer"
                throw fail("shape \(written): dimension \(axis) is \(problem)")
            }
            shape.append(d)
        }
        // The element count, overflow-checked (any zero dimension makes it 0).
        var count = shape.contains(0) ? 0 : 1
        for d in shape where count > 0 {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("shape \(written) has more elements than a 64-bit size can count") }
            count = product
        }
        guard count <= dataSize else {
            throw fail("shape \(written) has \(count) elements, more than the data section's \(dataSize) bytes hold")
        }
        guard let offsets = fields["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue else {
            throw fail("'data_offsets' must be two integers")
        }
        guard begin >= 0, end >= begin else { throw fail("data_offsets [\(begin), \(end)]: end is before begin") }
        guard end <= dataSize else {
            throw fail("data_offsets [\(begin), \(end)] are out of range: the data section has \(dataSize) bytes")
        }
        guard end - begin == count * dtype.byteCount else {
            throw fail("data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but shape \(shape) of \(dtypeName) needs \(count * dtype.byteCount)")
        }
        return TensorInfo(dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// The named tensor converted to `Float`, row-major.
    public func floats(_ name: String) throws -> [Float] {
        guard let info = tensors[name] else { throw InputError("no tensor named '\(name)'", source: url.path) }
        return [Float](unsafeUninitializedCapacity: info.count) { buffer, initialized in
            convert(info, into: buffer)
            initialized = info.count
        }
    }

    /// Converts the named tensor into `destination`, whose count must equal the tensor's element count.
    public func read(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard let info = tensors[name] else { throw InputError("no tensor named '\(name)'", source: url.path) }
        precondition(destination.count == info.count, "destination holds \(destination.count) floats, tensor \(name) has \(info.count)")
        convert(info, into: destination)
    }

    /// Copies the named BF16 tensor as it is stored into `destination`, whose count must equal its element count.
    public func read(_ name: String, into destination: UnsafeMutableBufferPointer<BFloat16>) throws {
        guard let info = tensors[name] else { throw InputError("no tensor named '\(name)'", source: url.path) }
        precondition(info.dtype == .bf16, "tensor \(name) is \(info.dtype.rawValue), not BF16")
        precondition(destination.count == info.count, "destination holds \(destination.count) values, tensor \(name) has \(info.count)")
        guard let base = destination.baseAddress else { return }
        withRowMajorBytes(info) { UnsafeMutableRawPointer(base).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    private func convert(_ info: TensorInfo, into destination: UnsafeMutableBufferPointer<Float>) {
        withRowMajorBytes(info) { source in
            switch info.dtype {
            case .f32: Safetensors.convertF32(source, into: destination)
            case .bf16: Safetensors.convertBF16(source, into: destination)
            case .f16: Safetensors.convertF16(source, into: destination)
            }
        }
    }

    /// Calls `body` with the tensor's stored elements in row-major order: its bytes in the file, or a temporary
    /// row-major copy of a strided tensor's (`StridedGather`).
    private func withRowMajorBytes(_ info: TensorInfo, _ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { raw in
            let stored = UnsafeRawBufferPointer(rebasing: raw[(dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)])
            guard let strides = info.strides, let first = stored.baseAddress else { return body(stored) }
            let rowMajor = UnsafeMutableRawBufferPointer.allocate(byteCount: info.count * info.dtype.byteCount, alignment: 16)
            defer { rowMajor.deallocate() }
            StridedGather.copy(from: first, shape: info.shape, strides: strides, elementSize: info.dtype.byteCount,
                               into: rowMajor.baseAddress!)
            body(UnsafeRawBufferPointer(rowMajor))
        }
    }

    /// Little-endian F32 bytes to floats.
    static func convertF32(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        guard let base = destination.baseAddress, let bytes = source.baseAddress else { return }
        UnsafeMutableRawPointer(base).copyMemory(from: bytes, byteCount: source.count)
    }

    /// bfloat16 is the top half of a float32: widening is `bits << 16`, exact for every value.
    static func convertBF16(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        guard let base = destination.baseAddress else { return }
        for i in 0..<destination.count {
            base[i] = BFloat16(bitPattern: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))).float
        }
    }

    /// IEEE half (1 sign, 5 exponent, 10 mantissa bits) to float, exactly: normal numbers re-bias the
    /// exponent (+112), infinities and NaNs keep an all-ones exponent, and subnormals m·2⁻²⁴ are
    /// computed as a float product, which is exact.
    static func convertF16(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        guard let base = destination.baseAddress else { return }
        for i in 0..<destination.count {
            base[i] = halfToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    @inline(__always)
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        let magnitude: Float
        if exponent == 0 {
            magnitude = Float(mantissa) * 0x1p-24
        } else if exponent == 0x1F {
            magnitude = Float(bitPattern: 0x7F80_0000 | (mantissa << 13))
        } else {
            magnitude = Float(bitPattern: ((exponent + 112) << 23) | (mantissa << 13))
        }
        return Float(bitPattern: magnitude.bitPattern | sign)
    }

    /// Writes `tensors` as an F32 safetensors file at `url`, atomically: names sorted, data in that order, header padded
    /// with spaces to a multiple of 8 bytes (as the reference implementation does). Each tensor goes to the file straight
    /// from its memory (no copy of the whole file is gathered first; a single `Data.write` of more than 2 GiB also
    /// corrupted everything after the first 2,147,479,552 bytes on Linux, the most one `write(2)` takes).
    public static func write(_ tensors: [Tensor], metadata: [String: String] = [:], to url: URL) throws {
        let (sorted, header) = prepare(tensors, metadata: metadata)
        try AtomicFile.write(to: url) { handle in
            try handle.write(contentsOf: Data(header))
            for tensor in sorted {
                try tensor.withValues { values in
                    guard let base = values.baseAddress, !values.isEmpty else { return }
                    try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base),
                                                      count: values.count * MemoryLayout<Float>.stride, deallocator: .none))
                }
            }
        }
    }

    /// The tensors in file order (sorted by name) and the file's first bytes: the header's length (8 bytes, little
    /// endian) and the header, whose data offsets follow that order.
    private static func prepare(_ tensors: [Tensor], metadata: [String: String]) -> (sorted: [Tensor], header: [UInt8]) {
        let sorted = tensors.sorted { $0.name < $1.name }
        precondition(Set(sorted.map(\.name)).count == sorted.count, "duplicate tensor names")
        var header: [String: JSONValue] = [:]
        if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues(JSONValue.string)) }
        var offset = 0
        for tensor in sorted {
            let byteCount = 4 * tensor.count
            header[tensor.name] = .object([
                "dtype": .string(DType.f32.rawValue),
                "shape": .array(tensor.shape.map(JSONValue.integer)),
                "data_offsets": .array([.integer(offset), .integer(offset + byteCount)]),
            ])
            offset += byteCount
        }
        var headerBytes = Array(JSONValue.object(header).serialized().utf8)
        headerBytes += Array(repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)
        return (sorted, withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian, Array.init) + headerBytes)
    }
}
