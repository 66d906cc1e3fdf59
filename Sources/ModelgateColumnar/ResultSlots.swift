/// Slots that parallel workers fill, one each, and the caller reads after they finish.
final class ResultSlots<T>: @unchecked Sendable {
    private(set) var values: [T?]
    init(count: Int) { values = [T?](repeating: nil, count: count) }
    subscript(index: Int) -> T? {
        get { values[index] }
        set { values[index] = newValue }
    }
}
