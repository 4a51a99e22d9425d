/// Copies a strided view of a tensor (a transposed, sliced or expanded tensor as `torch.save` keeps it: element `i` of
/// dimension `d` lies `i · strides[d]` elements after its first element) into row-major order.
enum StridedGather {
    /// Copies the elements of `elementSize` bytes (2 or 4) of the view `shape`/`strides`, whose first element is at
    /// `source`, to `destination` in row-major order (`shape`'s element count × `elementSize` bytes). Strides are in
    /// elements and non-negative (0 repeats an element); every element they reach must be readable.
    static func copy(from source: UnsafeRawPointer, shape: [Int], strides: [Int], elementSize: Int,
                     into destination: UnsafeMutableRawPointer) {
        precondition(shape.count == strides.count && strides.allSatisfy { $0 >= 0 }, "strides \(strides) for shape \(shape)")
        switch elementSize {
        case 2: copy(UInt16.self, from: source, shape: shape, strides: strides, into: destination)
        case 4: copy(UInt32.self, from: source, shape: shape, strides: strides, into: destination)
        default: preconditionFailure("elements of \(elementSize) bytes")
        }
    }

    /// Row by row (the last dimension), the outer dimensions' indices advancing as an odometer.
    private static func copy<Element: FixedWidthInteger>(_: Element.Type, from source: UnsafeRawPointer, shape: [Int],
                                                         strides: [Int], into destination: UnsafeMutableRawPointer) {
        guard !shape.contains(0) else { return }
        let size = MemoryLayout<Element>.size
        let rowLength = shape.last ?? 1, step = (strides.last ?? 0) * size
        let outer = shape.dropLast().count
        var index = [Int](repeating: 0, count: outer)
        var rowStart = 0  // in elements
        var written = 0
        for _ in 0..<shape.reduce(1, *) / rowLength {
            let row = source + rowStart * size
            for j in 0..<rowLength {
                destination.storeBytes(of: row.loadUnaligned(fromByteOffset: j * step, as: Element.self),
                                       toByteOffset: written, as: Element.self)
                written += size
            }
            var d = outer - 1
            while d >= 0 {
                index[d] += 1
                rowStart += strides[d]
                if index[d] < shape[d] { break }
                rowStart -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
