/// A value `PickleReader` builds from a PyTorch state dict's pickle: Python's plain values, the few globals a state dict
/// names, and the tensors and storages `torch.save` pickles. Lists and dicts are shared references, as in Python, so
/// items added after one was memoized are seen through every reference to it.
///
/// Containers nest at most `maximumDepth` deep (freeing values nested deeper could exhaust the stack), and a list or dict
/// can no longer change once it is inside another value, so that nesting is known when it is built and never cyclic.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case string(String)
    case tuple([PickleValue], depth: Int)
    case list(List)
    case dict(Dict)
    case global(Global)
    case storage(Storage)
    case tensor(Tensor)

    /// The globals a state dict's pickle may name; every other one is refused.
    enum Global: String, CaseIterable {
        case orderedDict = "collections.OrderedDict"
        case rebuildTensor = "torch._utils._rebuild_tensor_v2"
        case rebuildParameter = "torch._utils._rebuild_parameter"
        case floatStorage = "torch.FloatStorage"
        case halfStorage = "torch.HalfStorage"
        case bfloat16Storage = "torch.BFloat16Storage"

        /// The element type of a storage type.
        var storageType: Safetensors.DType? {
            switch self {
            case .floatStorage: return .f32
            case .halfStorage: return .f16
            case .bfloat16Storage: return .bf16
            case .orderedDict, .rebuildTensor, .rebuildParameter: return nil
            }
        }
    }

    /// A storage `torch.save` wrote to the archive's `data/<key>`: `count` elements of `dtype`.
    struct Storage: Equatable {
        var key: String
        var dtype: Safetensors.DType
        var count: Int
    }

    /// A tensor over `storage`: `shape` and `strides` in elements, from element `offset`.
    struct Tensor {
        var storage: Storage
        var offset: Int
        var shape: [Int]
        var strides: [Int]
    }

    /// A state dict's pickle nests 4 deep (its `_metadata`, a dict of dicts, in the state of an `OrderedDict`).
    static let maximumDepth = 32

    final class List {
        var items: [PickleValue] = []
        var depth = 1
        /// Whether the list is inside another value, and so can no longer change.
        var isNested = false
    }

    /// A dict or `OrderedDict`: its items in the order they were set (a key set twice appears twice; the later wins, as
    /// in Python).
    final class Dict {
        var items: [(key: PickleValue, value: PickleValue)] = []
        var depth = 1
        /// Whether the dict is inside another value, and so can no longer change.
        var isNested = false
    }

    /// How many containers deep the value is (0 for a plain value).
    var depth: Int {
        switch self {
        case .tuple(_, let depth): return depth
        case .list(let list): return list.depth
        case .dict(let dict): return dict.depth
        case .none, .bool, .int, .string, .global, .storage, .tensor: return 0
        }
    }

    /// What the value is, for errors.
    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an int"
        case .string: return "a str"
        case .tuple(let items, _): return "a tuple of \(items.count)"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global(let global): return global.rawValue
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }
}
