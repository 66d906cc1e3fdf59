/// A small, fast, seedable generator (SplitMix64), so that the demo dataset is the same on
/// every machine; Swift's system generator cannot be seeded.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (by remainder: the slight bias of a 64-bit draw does not matter here).
    package mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// Uniform in [0, 1).
    package mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal, by Box–Muller.
    package mutating func normal() -> Double {
        let u = max(uniform(), 1e-300)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * uniform())
    }

    /// Poisson with a small mean, by Knuth's product of uniforms.
    package mutating func poisson(_ mean: Double) -> Int {
        let limit = exp(-mean)
        var k = 0
        var product = uniform()
        while product > limit {
            k += 1
            product *= uniform()
        }
        return k
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang, boosted for shape < 1.
    package mutating func gamma(_ shape: Double) -> Double {
        if shape < 1 { return gamma(shape + 1) * pow(max(uniform(), 1e-300), 1 / shape) }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = normal()
            let v = pow(1 + c * x, 3)
            if v <= 0 { continue }
            if log(max(uniform(), 1e-300)) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
