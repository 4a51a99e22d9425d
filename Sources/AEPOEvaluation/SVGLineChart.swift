import Foundation

/// An inline SVG line chart: one polyline per series over shared axes, with ticks, a title and a legend.
public struct SVGLineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]

        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points.filter { $0.x.isFinite && $0.y.isFinite }
        }
    }

    public var title: String
    public var xLabel: String
    public var series: [Series]
    public var width = 460.0
    public var height = 260.0

    /// Colours from a palette that stays distinguishable for common colour-vision deficiencies.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

    public init(title: String, xLabel: String = "step", series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.series = series
    }

    /// Three to six round tick values covering `low…high`.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let span = high - low
        guard span > 0 else { return [low] }
        let raw = span / 4
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var t = ceil(low / step) * step
        while t <= high + step * 1e-9 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }

    static func label(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        return String(format: "%.4g", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    public var svg: String {
        let left = 56.0, right = 12.0, top = 28.0, bottom = 44.0 + 16.0 * Double((series.count + 2) / 3)
        let plotWidth = width - left - right, plotHeight = height - top - 44
        let all = series.flatMap(\.points)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height - 44 + bottom))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height - 44 + bottom))\" role=\"img\">"
        svg += "<title>\(Self.escape(title))</title>"
        svg += "<text x=\"\(Int(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(Self.escape(title))</text>"
        guard !all.isEmpty else {
            svg += "<text x=\"\(Int(width / 2))\" y=\"\(Int(top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"12\" fill=\"#777\">no data</text></svg>"
            return svg
        }
        var (xMin, xMax) = (all.map(\.x).min()!, all.map(\.x).max()!)
        var (yMin, yMax) = (all.map(\.y).min()!, all.map(\.y).max()!)
        if xMin == xMax { xMin -= 1; xMax += 1 }
        if yMin == yMax { yMin -= abs(yMin) > 0 ? abs(yMin) * 0.1 : 1; yMax += abs(yMax) > 0 ? abs(yMax) * 0.1 : 1 }
        let pad = (yMax - yMin) * 0.05
        yMin -= pad
        yMax += pad
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#bbb\"/>"
        for t in Self.ticks(yMin, yMax) {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(py(t)))\" y2=\"\(f(py(t)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" font-size=\"10\">\(Self.label(t))</text>"
        }
        // Steps and counts are whole numbers: no ticks between them.
        var xTicks = Self.ticks(xMin, xMax)
        if all.allSatisfy({ $0.x == $0.x.rounded() }) { xTicks = xTicks.filter { $0 == $0.rounded() } }
        for t in xTicks {
            svg += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotHeight + 14))\" text-anchor=\"middle\" font-size=\"10\">\(Self.label(t))</text>"
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight + 30))\" text-anchor=\"middle\" font-size=\"11\">\(Self.escape(xLabel))</text>"
        for (index, line) in series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let points = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            if line.points.count == 1 {
                svg += "<circle cx=\"\(f(px(line.points[0].x)))\" cy=\"\(f(py(line.points[0].y)))\" r=\"3\" fill=\"\(colour)\"/>"
            } else if !line.points.isEmpty {
                // Earlier series are drawn wider so that identical curves stay visible under later ones.
                let width = 1.8 + 1.4 * Double(series.count - 1 - index)
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(f(width))\" points=\"\(points)\"/>"
            }
            let lx = left + Double(index % 3) * (plotWidth / 3), ly = top + plotHeight + 44 + Double(index / 3) * 16
            svg += "<rect x=\"\(f(lx))\" y=\"\(f(ly - 9))\" width=\"12\" height=\"4\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(f(lx + 16))\" y=\"\(f(ly - 4))\" font-size=\"10\">\(Self.escape(line.name))</text>"
        }
        return svg + "</svg>"
    }
}
