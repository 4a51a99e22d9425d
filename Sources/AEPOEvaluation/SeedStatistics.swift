import Foundation

/// Mean and 95 % confidence half-width over seeds: `t₀.₉₇₅(n−1) · s / √n` with the sample standard deviation s
/// (Student's t, two-sided).
public struct SeedStatistics: Equatable, Sendable {
    public var mean: Double
    /// 0 for a single seed (no spread to estimate).
    public var halfWidth: Double
    public var seeds: Int

    /// `t₀.₉₇₅` for 1…30 degrees of freedom; 1.96 beyond.
    static let tQuantiles: [Double] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ]

    public init(_ values: [Double]) {
        seeds = values.count
        let mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        self.mean = mean
        guard values.count > 1 else { halfWidth = 0; return }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        let t = values.count - 1 <= Self.tQuantiles.count ? Self.tQuantiles[values.count - 2] : 1.96
        halfWidth = t * variance.squareRoot() / Double(values.count).squareRoot()
    }

    /// `mean ± half-width` in percent with one decimal (just the mean for one seed).
    public var percent: String {
        seeds > 1 ? "\(TextTable.percent(mean)) ± \(TextTable.percent(halfWidth))" : TextTable.percent(mean)
    }
}
