import ModelgateCore

#if canImport(Glibc)
    import Glibc
#endif

/// The distributions the demo survey draws from its seeded generator.
extension SplitMix64 {
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
