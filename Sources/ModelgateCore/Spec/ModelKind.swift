/// The built-in algorithm models a researcher can ask for.
package enum ModelKind: String, Sendable, Codable, CaseIterable {
    case summary
    case crosstab
    case histogram
    case linearRegression = "linear_regression"
    case logisticRegression = "logistic_regression"
}
