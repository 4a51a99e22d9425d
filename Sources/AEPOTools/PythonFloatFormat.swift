import Foundation

/// `repr(float)` as Python prints it: the shortest digits that round-trip, in positional
/// notation when the decimal exponent is in −4 ..< 16, otherwise as `d.ddde±XX`; integral values
/// keep a `.0` (`1000.0`, `1e+16`, `1e-05`, `0.30000000000000004`, `inf`, `nan`).
enum PythonFloatFormat {
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let sign = value.sign == .minus ? "-" : ""
        // Swift's description also prints the shortest round-trip digits; take digits and exponent from it.
        let (digits, pointPosition) = shortestDigits(of: value.magnitude)
        if pointPosition <= -4 || pointPosition > 16 {
            let exponent = pointPosition - 1
            let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
            let exponentDigits = String(abs(exponent))
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (exponentDigits.count < 2 ? "0" : "") + exponentDigits
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        }
        return sign + digits.prefix(pointPosition) + "." + digits.dropFirst(pointPosition)
    }

    /// Significant digits `d1 d2 … dn` (no leading or trailing zeros; `"0"` for zero) and the
    /// position of the decimal point: value = 0.d1d2…dn × 10^pointPosition.
    private static func shortestDigits(of magnitude: Double) -> (digits: String, pointPosition: Int) {
        if magnitude == 0 { return ("0", 1) }
        let text = magnitude.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...].replacingOccurrences(of: "+", with: ""))!
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0])
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        var all = integerPart + fractionPart
        var point = integerPart.count + exponent
        while all.first == "0" {
            all.removeFirst()
            point -= 1
        }
        while all.last == "0" { all.removeLast() }
        return (all, point)
    }
}
