/// A decoded or to-be-encoded value.
enum WireValue: Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case list([WireValue])
    case map([(String, WireValue)])

    static func == (lhs: WireValue, rhs: WireValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.uint(let a), .uint(let b)): a == b
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.map(let a), .map(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }
}

extension WireValue {
    /// The value of a primitive type, found by comparing metatypes (cheap), not by casting an
    /// `Any` (which looks up protocol conformances the first time for every type).
    init?<T>(primitive value: T) {
        let type = T.self
        if type == Double.self {
            self = .double(value as! Double)
        } else if type == Int.self {
            self = .int(Int64(value as! Int))
        } else if type == String.self {
            self = .string(value as! String)
        } else if type == Bool.self {
            self = .bool(value as! Bool)
        } else if type == Int32.self {
            self = .int(Int64(value as! Int32))
        } else if type == Int64.self {
            self = .int(value as! Int64)
        } else if type == UInt64.self {
            self = .uint(value as! UInt64)
        } else if type == Float.self {
            self = .double(Double(value as! Float))
        } else if type == Int8.self {
            self = .int(Int64(value as! Int8))
        } else if type == Int16.self {
            self = .int(Int64(value as! Int16))
        } else if type == UInt.self {
            self = .uint(UInt64(value as! UInt))
        } else if type == UInt8.self {
            self = .uint(UInt64(value as! UInt8))
        } else if type == UInt16.self {
            self = .uint(UInt64(value as! UInt16))
        } else if type == UInt32.self {
            self = .uint(UInt64(value as! UInt32))
        } else {
            return nil
        }
    }

    /// This value as a primitive `T`; nil when `T` is not a primitive, throws when it does not fit.
    func primitive<T>(_ type: T.Type) throws -> T? {
        func integer<I: FixedWidthInteger>(_: I.Type) throws -> T {
            let result: I?
            switch self {
            case .int(let value): result = I(exactly: value)
            case .uint(let value): result = I(exactly: value)
            default: result = nil
            }
            guard let result else { throw WireReader.corrupt("\(self) is not a \(I.self)") }
            return result as! T
        }
        switch self {
        case .double(let value) where type == Double.self: return (value as! T)
        case .double(let value) where type == Float.self: return (Float(value) as! T)
        case .string(let value) where type == String.self: return (value as! T)
        case .bool(let value) where type == Bool.self: return (value as! T)
        default: break
        }
        if type == Int.self { return try integer(Int.self) }
        if type == Int64.self { return try integer(Int64.self) }
        if type == Int32.self { return try integer(Int32.self) }
        if type == UInt64.self { return try integer(UInt64.self) }
        if type == Int8.self { return try integer(Int8.self) }
        if type == Int16.self { return try integer(Int16.self) }
        if type == UInt.self { return try integer(UInt.self) }
        if type == UInt8.self { return try integer(UInt8.self) }
        if type == UInt16.self { return try integer(UInt16.self) }
        if type == UInt32.self { return try integer(UInt32.self) }
        return nil
    }
}
