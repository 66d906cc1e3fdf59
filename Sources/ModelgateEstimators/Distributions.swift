#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Tail probabilities for test statistics. Written by hand because no Swift package on this
/// machine offers the Student t distribution; the regularised incomplete beta function is
/// evaluated by its continued fraction (modified Lentz), the standard method.
enum Distributions {
    /// Two-sided p-value of a standard normal statistic.
    static func normalTwoSided(_ z: Double) -> Double {
        guard z.isFinite else { return z.isNaN ? .nan : 0 }
        return erfc(abs(z) / 2.0.squareRoot())
    }

    /// Two-sided p-value of a Student t statistic with `df` degrees of freedom:
    /// P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2).
    static func studentTwoSided(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite, df > 0 else { return t.isNaN || df <= 0 ? .nan : 0 }
        return regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
    }

    /// The t with P(|T| > t) = `alpha` for `df` degrees of freedom (the half-width of a
    /// 1 − alpha confidence interval in standard errors), by bisection on ``studentTwoSided``,
    /// which falls as t grows: 200 halvings of [0, 10⁶] leave no doubt in a Double.
    static func studentCritical(twoSided alpha: Double, degreesOfFreedom df: Double) -> Double {
        guard df > 0, alpha > 0, alpha < 1 else { return .nan }
        var (low, high) = (0.0, 1e6)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if studentTwoSided(middle, degreesOfFreedom: df) > alpha { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// The z with P(|Z| > z) = 0.05.
    static let normalCritical95 = 1.959_963_984_540_054

    /// I_x(a, b), the regularised incomplete beta function.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use symmetry otherwise.
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...100_000 {
            let m = Double(m)
            let m2 = 2 * m
            // Even step.
            var numerator = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            // Odd step.
            numerator = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return result
    }
}
