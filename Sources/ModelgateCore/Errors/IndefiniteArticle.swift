/// `noun` with "a" or "an" before it, for messages ("an owner", "an integer column"): "an"
/// before a written vowel, which is right for every word these messages use.
package func withIndefiniteArticle(_ noun: String) -> String {
    guard let first = noun.first?.lowercased(), "aeiou".contains(first) else { return "a \(noun)" }
    return "an \(noun)"
}
