/// Arithmetic modulo the Mersenne prime 2⁶¹ − 1, in which the ledger eliminates.
///
/// Written by hand: no package here offers modular arithmetic on `UInt64`. Exact rational
/// elimination of 0/1 vectors grows its numbers without bound; modulo a large prime it stays one
/// word per entry. A rational combination is found modulo p as well, so a figure that can be derived
/// is always found derivable; the only error possible is a combination that vanishes modulo p by
/// chance (about one in 2⁶¹ per test), which makes the ledger refuse, never release.
enum PrimeField {
    static let p: UInt64 = (1 << 61) - 1

    @inline(__always) static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let s = a &+ b
        return s >= p ? s &- p : s
    }

    @inline(__always) static func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 {
        a >= b ? a &- b : a &+ p &- b
    }

    @inline(__always) static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        // 2⁶⁴·high + low = 2⁶¹·(8·high + low >> 61) + (low & p), and 2⁶¹ ≡ 1.
        let folded = (low & p) &+ ((high << 3) | (low >> 61))
        let once = (folded & p) &+ (folded >> 61)
        return once >= p ? once &- p : once
    }

    static func inverse(_ a: UInt64) -> UInt64 {
        // Fermat: a^(p−2).
        var result: UInt64 = 1
        var base = a
        var exponent = p - 2
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base) }
            base = multiply(base, base)
            exponent >>= 1
        }
        return result
    }

    static func negate(_ a: UInt64) -> UInt64 { a == 0 ? 0 : p &- a }
}
