import AEPOCore
import Foundation

/// A state dict saved by `torch.save` in PyTorch's zip format (PyTorch 1.6 and later; `pytorch_model.bin`, PEFT's
/// `adapter_model.bin`): a ZIP archive (`ZipArchive`) holding `<archive>/data.pkl`, the pickled dict of name → tensor,
/// read by the restricted `PickleReader`, each storage's bytes as `<archive>/data/<key>`, and `<archive>/byteorder`.
///
/// It is read into the table a safetensors file gives (`Safetensors`: each tensor's dtype, shape and bytes in the mapped
/// file), so everything after opening is shared. Tensors may be float32, float16 or bfloat16, may share a storage (tied
/// weights, views at an offset), and may be strided views of it (transposed, sliced, expanded: `storage + offset + size +
/// stride` as torch.save keeps them), which are copied into row-major order as they are read. Anything else — torch.save's
/// legacy format, big-endian data, other dtypes, a value that is not a tensor, a global a state dict does not use — is an
/// error naming the file.
enum TorchCheckpoint {
    /// Opens `url` (memory-mapped where the platform allows) and reads its tensor table.
    static func read(contentsOf url: URL) throws -> Safetensors {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw InputError("cannot read file", source: url.path)
        }
        let tensors = try bytes.withUnsafeBytes { try tensorTable(in: $0, source: url.path) }
        return Safetensors(url: url, tensors: tensors, bytes: bytes)
    }

    /// Each tensor of the state dict in the archive `bytes`, located in `bytes`.
    private static func tensorTable(in bytes: UnsafeRawBufferPointer, source: String) throws -> [String: Safetensors.TensorInfo] {
        if bytes.first == 0x80 {
            throw InputError("this is torch.save's legacy format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), "
                             + "which is not supported: save it again with a current PyTorch, or as safetensors", source: source)
        }
        let archive = try ZipArchive(bytes, source: source)
        let pickles = archive.entries.keys.filter { name in
            name.hasSuffix("/data.pkl") && !name.dropLast("/data.pkl".count).contains("/") && name != "/data.pkl"
        }
        guard pickles.count == 1, let pickle = pickles.first else {
            throw InputError("the ZIP archive holds \(pickles.count) '<archive>/data.pkl' entries, expected one: not a file torch.save wrote",
                             source: source)
        }
        let prefix = String(pickle.dropLast("data.pkl".count))
        if let range = try archive.storedData(prefix + "byteorder") {
            let order = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            guard order == "little" else {
                throw InputError("\(prefix)byteorder is '\(order)'; only little-endian tensors are supported", source: source)
            }
        }
        let root = try PickleReader.read(Array(bytes[try archive.storedData(pickle)!]), entry: pickle, source: source)
        guard case .dict(let stateDict) = root else {
            throw InputError("\(pickle) holds \(root.typeName), expected a state dict (a dict of tensor name → tensor)", source: source)
        }

        var storages: [String: (storage: PickleValue.Storage, data: Range<Int>)] = [:]
        func data(of storage: PickleValue.Storage) throws -> Range<Int> {
            if let known = storages[storage.key] {
                guard known.storage == storage else {
                    throw InputError("storage '\(storage.key)' is pickled as \(storage.count) \(storage.dtype.rawValue) elements and as "
                                     + "\(known.storage.count) \(known.storage.dtype.rawValue) elements", source: source)
                }
                return known.data
            }
            let entry = prefix + "data/" + storage.key
            guard let range = try archive.storedData(entry) else {
                throw InputError("the ZIP archive has no entry '\(entry)' for the pickled storage '\(storage.key)'", source: source)
            }
            let (byteCount, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.byteCount)
            guard !overflow, range.count == byteCount else {
                throw InputError("the ZIP entry '\(entry)' holds \(range.count) bytes, but its storage of \(storage.count) "
                                 + "\(storage.dtype.rawValue) elements takes \(overflow ? "more than 2⁶³" : "\(byteCount)")", source: source)
            }
            storages[storage.key] = (storage, range)
            return range
        }

        var tensors: [String: Safetensors.TensorInfo] = [:]
        for (key, value) in stateDict.items {
            guard case .string(let name) = key else {
                throw InputError("a key of the state dict is \(key.typeName), expected a tensor name", source: source)
            }
            guard case .tensor(let tensor) = value else {
                throw InputError("'\(name)' holds \(value.typeName), expected a tensor (a state dict maps names to tensors)", source: source)
            }
            tensors[name] = try info(name, tensor, storageData: try data(of: tensor.storage), source: source)
        }
        return tensors
    }

    /// The table entry of the tensor `name`, whose storage's bytes are `storageData`.
    private static func info(_ name: String, _ tensor: PickleValue.Tensor, storageData: Range<Int>,
                             source: String) throws -> Safetensors.TensorInfo {
        let (shape, strides, storage) = (tensor.shape, tensor.strides, tensor.storage)
        func fail(_ message: String) -> InputError {
            InputError("tensor '\(name)' (size \(shape), stride \(strides), storage offset \(tensor.offset)) \(message)", source: source)
        }
        guard shape.count == strides.count else { throw fail("has \(strides.count) strides for \(shape.count) dimensions") }
        guard shape.allSatisfy({ $0 >= 0 }), tensor.offset >= 0 else { throw fail("has a negative size or offset") }
        guard strides.allSatisfy({ $0 >= 0 }) else { throw fail("has a negative stride") }
        var count = shape.contains(0) ? 0 : 1
        for size in shape where count > 0 {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail("has more elements than a 64-bit size can count") }
            count = product
        }
        // The elements it spans in its storage: 1 + Σ (size - 1) · stride from its first (none when it is empty).
        var extent = count > 0 ? 1 : 0
        for (size, stride) in zip(shape, strides) where count > 0 {
            let (step, stepOverflow) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, sumOverflow) = extent.addingReportingOverflow(step)
            guard !stepOverflow, !sumOverflow else { throw fail("spans more elements than a 64-bit size can count") }
            extent = sum
        }
        guard tensor.offset <= storage.count - extent else {
            throw fail("runs past the end of its storage '\(storage.key)' of \(storage.count) elements")
        }
        // Row-major: each dimension's stride is the product of the later sizes (any stride for a size of 1).
        var expected = 1, isRowMajor = true
        for (size, stride) in zip(shape, strides).reversed() where count > 0 && size != 1 {
            isRowMajor = isRowMajor && stride == expected
            expected *= size
        }
        let start = storageData.lowerBound + tensor.offset * storage.dtype.byteCount
        return Safetensors.TensorInfo(dtype: storage.dtype, shape: shape, dataOffsets: start..<start + extent * storage.dtype.byteCount,
                                      strides: isRowMajor ? nil : strides)
    }
}
