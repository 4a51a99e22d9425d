/// A signed integer of any size (sign and magnitude, 32-bit limbs, least significant first),
/// enough for the calculator's Python-style integers. Callers bound the sizes they allow.
struct BigInteger: Equatable, Comparable, CustomStringConvertible, Sendable {
    /// Magnitude limbs, least significant first, no trailing zero limbs (zero is `[]`).
    private(set) var limbs: [UInt32]
    /// True for negative numbers; zero is never negative.
    private(set) var isNegative: Bool

    private init(limbs: [UInt32], isNegative: Bool) {
        var trimmed = limbs
        while trimmed.last == 0 { trimmed.removeLast() }
        self.limbs = trimmed
        self.isNegative = isNegative && !trimmed.isEmpty
    }

    init(_ value: Int) {
        let magnitude = value.magnitude
        self.init(limbs: [UInt32(truncatingIfNeeded: magnitude), UInt32(truncatingIfNeeded: magnitude >> 32)], isNegative: value < 0)
    }

    /// Parses a string of decimal digits (no sign, no separators).
    init?(decimalDigits text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var result = BigInteger(0)
        var chunk = Substring(text)
        while !chunk.isEmpty {
            let piece = chunk.prefix(9)
            chunk = chunk.dropFirst(piece.count)
            var scale = 1
            for _ in 0..<piece.count { scale *= 10 }
            result = result * BigInteger(scale) + BigInteger(Int(piece)!)
        }
        self = result
    }

    /// The integer value of a finite, integral `Double` (`nil` otherwise).
    init?(exactly value: Double) {
        guard value.isFinite, value == value.rounded(.towardZero) else { return nil }
        if value == 0 { self.init(0); return }
        let exponent = Int(value.exponent)
        let significand = (UInt64(1) << 52) | value.significandBitPattern
        let magnitude = exponent >= 52
            ? BigInteger(significand).shiftedLeft(by: exponent - 52)
            : BigInteger(significand >> UInt64(52 - exponent))
        self.init(limbs: magnitude.limbs, isNegative: value < 0)
    }

    private init(_ value: UInt64) {
        self.init(limbs: [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)], isNegative: false)
    }

    var isZero: Bool { limbs.isEmpty }

    /// Number of bits of the magnitude (0 for zero).
    var bitWidth: Int {
        guard let top = limbs.last else { return 0 }
        return limbs.count * 32 - top.leadingZeroBitCount
    }

    /// The value as an `Int`, if it fits.
    var intValue: Int? {
        guard limbs.count <= 2 else { return nil }
        let magnitude = limbs.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (32 * UInt64($1.offset)) }
        if isNegative {
            return magnitude <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    /// The nearest `Double` (ties to even), or `nil` when it overflows.
    var doubleValue: Double? {
        let width = bitWidth
        if width > 1024 { return nil }
        let magnitude: Double
        if width <= 64 {
            magnitude = Double(limbs.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (32 * UInt64($1.offset)) })
        } else {
            // The top 64 bits with a sticky bit for everything below: one correctly rounded conversion.
            let shift = width - 64
            let top = shiftedRight(by: shift).limbs
            var bits = UInt64(top[0]) | UInt64(top.count > 1 ? top[1] : 0) << 32
            if BigInteger(limbs: Self.shiftedLeftMagnitude(of: top, by: shift), isNegative: false).limbs != limbs { bits |= 1 }
            let scaled = Double(bits) * pow2(shift)
            if !scaled.isFinite { return nil }
            magnitude = scaled
        }
        return isNegative ? -magnitude : magnitude
    }

    // MARK: Arithmetic

    static prefix func - (value: BigInteger) -> BigInteger {
        BigInteger(limbs: value.limbs, isNegative: !value.isNegative)
    }

    static func + (lhs: BigInteger, rhs: BigInteger) -> BigInteger {
        if lhs.isNegative == rhs.isNegative {
            return BigInteger(limbs: addMagnitudes(lhs.limbs, rhs.limbs), isNegative: lhs.isNegative)
        }
        if compareMagnitudes(lhs.limbs, rhs.limbs) >= 0 {
            return BigInteger(limbs: subtractMagnitudes(lhs.limbs, rhs.limbs), isNegative: lhs.isNegative)
        }
        return BigInteger(limbs: subtractMagnitudes(rhs.limbs, lhs.limbs), isNegative: rhs.isNegative)
    }

    static func - (lhs: BigInteger, rhs: BigInteger) -> BigInteger {
        lhs + (-rhs)
    }

    static func * (lhs: BigInteger, rhs: BigInteger) -> BigInteger {
        if lhs.isZero || rhs.isZero { return BigInteger(0) }
        var product = [UInt32](repeating: 0, count: lhs.limbs.count + rhs.limbs.count)
        for (i, a) in lhs.limbs.enumerated() {
            var carry: UInt64 = 0
            for (j, b) in rhs.limbs.enumerated() {
                let t = UInt64(a) * UInt64(b) + UInt64(product[i + j]) + carry
                product[i + j] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
            }
            product[i + rhs.limbs.count] = UInt32(carry)
        }
        return BigInteger(limbs: product, isNegative: lhs.isNegative != rhs.isNegative)
    }

    /// Python's `divmod`: the quotient rounds toward −∞ and the remainder has the divisor's sign.
    /// The divisor must not be zero.
    func flooredDivision(by divisor: BigInteger) -> (quotient: BigInteger, remainder: BigInteger) {
        precondition(!divisor.isZero, "division by zero")
        let (q, r) = Self.divideMagnitudes(limbs, divisor.limbs)
        var quotient = BigInteger(limbs: q, isNegative: isNegative != divisor.isNegative)
        var remainder = BigInteger(limbs: r, isNegative: isNegative)
        if !remainder.isZero && remainder.isNegative != divisor.isNegative {
            quotient = quotient - BigInteger(1)
            remainder = remainder + divisor
        }
        return (quotient, remainder)
    }

    /// `self ** exponent` for `exponent ≥ 0` by repeated squaring.
    func power(_ exponent: Int) -> BigInteger {
        var result = BigInteger(1)
        var base = self
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result = result * base }
            remaining >>= 1
            if remaining > 0 { base = base * base }
        }
        return result
    }

    static func < (lhs: BigInteger, rhs: BigInteger) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let order = compareMagnitudes(lhs.limbs, rhs.limbs)
        return lhs.isNegative ? order > 0 : order < 0
    }

    var magnitude: BigInteger { BigInteger(limbs: limbs, isNegative: false) }

    /// Decimal digits with a leading `-` for negative numbers.
    var description: String {
        if isZero { return "0" }
        var chunks: [UInt32] = []
        var rest = limbs
        while !rest.isEmpty {
            let (q, r) = Self.divideBySmall(rest, 1_000_000_000)
            chunks.append(r)
            rest = q
        }
        var text = isNegative ? "-" : ""
        text += String(chunks.last!)
        for chunk in chunks.dropLast().reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return text
    }

    // MARK: Magnitude helpers

    private func shiftedLeft(by bits: Int) -> BigInteger {
        BigInteger(limbs: Self.shiftedLeftMagnitude(of: limbs, by: bits), isNegative: isNegative)
    }

    private func shiftedRight(by bits: Int) -> BigInteger {
        let whole = bits / 32, part = bits % 32
        guard whole < limbs.count else { return BigInteger(0) }
        var result = Array(limbs[whole...])
        if part > 0 {
            for i in 0..<result.count {
                let high = i + 1 < result.count ? result[i + 1] << (32 - part) : 0
                result[i] = result[i] >> part | high
            }
        }
        return BigInteger(limbs: result, isNegative: isNegative)
    }

    private static func shiftedLeftMagnitude(of magnitude: [UInt32], by bits: Int) -> [UInt32] {
        let whole = bits / 32, part = bits % 32
        var result = [UInt32](repeating: 0, count: whole) + magnitude + [0]
        if part > 0 {
            for i in stride(from: result.count - 1, through: whole, by: -1) {
                let low = i > whole ? result[i - 1] >> (32 - part) : 0
                result[i] = result[i] << part | low
            }
        }
        return result
    }

    private static func compareMagnitudes(_ a: [UInt32], _ b: [UInt32]) -> Int {
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for i in stride(from: a.count - 1, through: 0, by: -1) where a[i] != b[i] {
            return a[i] < b[i] ? -1 : 1
        }
        return 0
    }

    private static func addMagnitudes(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var result = [UInt32](repeating: 0, count: max(a.count, b.count) + 1)
        var carry: UInt64 = 0
        for i in 0..<(result.count - 1) {
            let t = UInt64(i < a.count ? a[i] : 0) + UInt64(i < b.count ? b[i] : 0) + carry
            result[i] = UInt32(truncatingIfNeeded: t)
            carry = t >> 32
        }
        result[result.count - 1] = UInt32(carry)
        return result
    }

    /// `a − b` for `a ≥ b`.
    private static func subtractMagnitudes(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var result = a
        var borrow: Int64 = 0
        for i in 0..<a.count {
            let t = Int64(a[i]) - Int64(i < b.count ? b[i] : 0) - borrow
            result[i] = UInt32(truncatingIfNeeded: t)
            borrow = t < 0 ? 1 : 0
        }
        return result
    }

    private static func divideBySmall(_ a: [UInt32], _ divisor: UInt32) -> (quotient: [UInt32], remainder: UInt32) {
        var quotient = [UInt32](repeating: 0, count: a.count)
        var remainder: UInt64 = 0
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            let t = remainder << 32 | UInt64(a[i])
            quotient[i] = UInt32(t / UInt64(divisor))
            remainder = t % UInt64(divisor)
        }
        while quotient.last == 0 { quotient.removeLast() }
        return (quotient, UInt32(remainder))
    }

    /// Truncated division of magnitudes (Knuth, TAOCP vol. 2, §4.3.1, algorithm D).
    private static func divideMagnitudes(_ u: [UInt32], _ v: [UInt32]) -> (quotient: [UInt32], remainder: [UInt32]) {
        if compareMagnitudes(u, v) < 0 { return ([], u) }
        if v.count == 1 {
            let (q, r) = divideBySmall(u, v[0])
            return (q, [r])
        }
        let shift = v.last!.leadingZeroBitCount
        let vn = Array(shiftedLeftMagnitude(of: v, by: shift).prefix(v.count))
        var un = shiftedLeftMagnitude(of: u, by: shift)
        if un.count < u.count + 1 { un.append(0) }
        un = Array(un.prefix(u.count + 1))
        let n = v.count, m = u.count - v.count
        var quotient = [UInt32](repeating: 0, count: m + 1)
        let base: UInt64 = 1 << 32
        for j in stride(from: m, through: 0, by: -1) {
            let numerator = UInt64(un[j + n]) << 32 | UInt64(un[j + n - 1])
            var qhat = numerator / UInt64(vn[n - 1])
            var rhat = numerator % UInt64(vn[n - 1])
            while qhat >= base || qhat * UInt64(vn[n - 2]) > (rhat << 32 | UInt64(un[j + n - 2])) {
                qhat -= 1
                rhat += UInt64(vn[n - 1])
                if rhat >= base { break }
            }
            var borrow: Int64 = 0
            var carry: UInt64 = 0
            for i in 0..<n {
                let p = qhat * UInt64(vn[i]) + carry
                carry = p >> 32
                let t = Int64(un[i + j]) - borrow - Int64(p & 0xFFFF_FFFF)
                un[i + j] = UInt32(truncatingIfNeeded: t)
                borrow = t < 0 ? 1 : 0
            }
            let t = Int64(un[j + n]) - borrow - Int64(carry)
            un[j + n] = UInt32(truncatingIfNeeded: t)
            if t < 0 {
                qhat -= 1
                var addCarry: UInt64 = 0
                for i in 0..<n {
                    let s = UInt64(un[i + j]) + UInt64(vn[i]) + addCarry
                    un[i + j] = UInt32(truncatingIfNeeded: s)
                    addCarry = s >> 32
                }
                un[j + n] = UInt32(truncatingIfNeeded: UInt64(un[j + n]) + addCarry)
            }
            quotient[j] = UInt32(qhat)
        }
        let remainder = BigInteger(limbs: Array(un.prefix(n)), isNegative: false).shiftedRight(by: shift).limbs
        return (quotient, remainder)
    }
}

/// 2^n as a `Double` (exact while representable; +∞ beyond).
private func pow2(_ n: Int) -> Double {
    n > 1100 ? .infinity : Double(sign: .plus, exponent: n, significand: 1)
}
