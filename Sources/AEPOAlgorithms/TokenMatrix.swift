import AEPOCore

/// A batch of per-token values, B sequences × T positions, stored row-major in one array.
///
/// Every loss and advantage in this module works on these (as verl's `(bs, response_length)` tensors):
/// a `mask` matrix of 0/1 says which tokens the policy wrote and are trained on.
public struct TokenMatrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "negative shape")
        self.rows = rows
        self.columns = columns
        values = [Double](repeating: value, count: rows * columns)
    }

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "\(values.count) values for \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Builds a matrix from nested rows; rows of different lengths are an `InputError` naming `field`.
    public init(_ nested: [[Double]], field: String = "matrix", source: String = "input") throws {
        let columns = nested.first?.count ?? 0
        for (index, row) in nested.enumerated() where row.count != columns {
            throw InputError("ragged array: row \(index) has \(row.count) values, row 0 has \(columns)",
                             source: source, field: field)
        }
        self.init(rows: nested.count, columns: columns, values: nested.flatMap { $0 })
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// The rows as nested arrays (for JSON output).
    public var nested: [[Double]] {
        (0..<rows).map { Array(values[$0 * columns..<($0 + 1) * columns]) }
    }

    /// Whether `other` has the same B×T shape.
    public func hasShape(of other: TokenMatrix) -> Bool {
        rows == other.rows && columns == other.columns
    }

    /// Element-wise combination of two matrices of the same shape.
    public func combined(with other: TokenMatrix, _ body: (Double, Double) -> Double) -> TokenMatrix {
        precondition(hasShape(of: other), "shape \(other.rows)×\(other.columns) ≠ \(rows)×\(columns)")
        return TokenMatrix(rows: rows, columns: columns, values: zip(values, other.values).map(body))
    }

    /// Element-wise map.
    public func map(_ body: (Double) -> Double) -> TokenMatrix {
        TokenMatrix(rows: rows, columns: columns, values: values.map(body))
    }
}
