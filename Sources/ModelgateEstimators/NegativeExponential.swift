/// eˣ for x ≤ 0, four lanes at a time: the logit's weights need e^(−|η|) for every row on every
/// Newton pass, and libm's exp, called a row at a time, was the largest part of a pass. Written
/// here because nothing on this platform offers an exponential over SIMD vectors (Swift Numerics
/// has scalar functions only).
///
/// x = n·ln 2 + r with n an integer and |r| ≤ ln 2 / 2 (Cody and Waite's two-part ln 2, whose
/// high part has trailing zero bits, so n·ln2hi is exact), eʳ by its Taylor series to r¹³ (the
/// remainder is under 10⁻¹⁷ of it), and 2ⁿ built as the bits of a double. Within two units in the
/// last place of the exact value (tested against libm's), 0 below −708 (where e^x would be
/// subnormal), and NaN for NaN.
enum NegativeExponential {
    @inline(__always)
    static func of(_ x: SIMD4<Double>) -> SIMD4<Double> {
        let log2e = 1.442_695_040_888_963_4
        let ln2High = 6.931_471_803_691_238_164_90e-01
        let ln2Low = 1.908_214_929_270_587_700_02e-10
        // Adding 1.5·2⁵² rounds to an integer, which the low bits of the sum then hold.
        let shifter = SIMD4<Double>(repeating: 0x1.8p52)
        let shifted = x * log2e + shifter
        let n = shifted - shifter
        let r = (x - n * ln2High) - n * ln2Low
        // Horner's rule from 1/13! down to 1/0!.
        var series = SIMD4<Double>(repeating: 1 / 6_227_020_800.0)
        series = series * r + 1 / 479_001_600.0
        series = series * r + 1 / 39_916_800.0
        series = series * r + 1 / 3_628_800.0
        series = series * r + 1 / 362_880.0
        series = series * r + 1 / 40_320.0
        series = series * r + 1 / 5_040.0
        series = series * r + 1 / 720.0
        series = series * r + 1 / 120.0
        series = series * r + 1 / 24.0
        series = series * r + 1 / 6.0
        series = series * r + 0.5
        series = series * r + 1
        series = series * r + 1
        // n from the sum's bits; 2ⁿ as the exponent field n + 1023 (n ≥ −1022 here).
        let integer =
            unsafeBitCast(shifted, to: SIMD4<Int64>.self) &- unsafeBitCast(shifter, to: SIMD4<Int64>.self)
        let power = unsafeBitCast((integer &+ 1023) &<< 52, to: SIMD4<Double>.self)
        return (series * power).replacing(with: 0, where: x .< -708)
    }
}
