import Chain
import Formats
import Foundation

/// A read-only view of a JSON document received from a provider, with forgiving accessors.
///
/// Parsing uses Foundation's `JSONDecoder` (which tells booleans from numbers) and converts to
/// ``JSONValue``; building request bodies uses ``CanonicalJSON``, so no Foundation types leak out.
struct ProviderJSON: Sendable {
    /// The parsed value.
    let value: JSONValue

    init(_ value: JSONValue) {
        self.value = value
    }

    /// Parses `bytes` as JSON, or returns `nil` if they are not valid JSON.
    init?(parsing bytes: [UInt8]) {
        guard let decoded = try? JSONDecoder().decode(DecodedJSON.self, from: Data(bytes)) else { return nil }
        self.value = decoded.value
    }

    /// The member `key` of an object, or `nil` if this is not an object or has no such member.
    subscript(key: String) -> ProviderJSON? {
        guard case .object(let members) = value, let member = members[key] else { return nil }
        return ProviderJSON(member)
    }

    /// The string, or `nil` for any other kind of value.
    var string: String? {
        if case .string(let text) = value { return text }
        return nil
    }

    /// The elements, or `nil` if this is not an array.
    var array: [ProviderJSON]? {
        if case .array(let elements) = value { return elements.map(ProviderJSON.init) }
        return nil
    }

    /// Whether this is JSON `null`.
    var isNull: Bool { value == .null }

    /// The value unless it is `null`, an empty object or an empty array.
    var nonEmpty: JSONValue? {
        switch value {
        case .null: nil
        case .object(let members) where members.isEmpty: nil
        case .array(let elements) where elements.isEmpty: nil
        default: value
        }
    }
}

/// A `Decodable` bridge from Foundation's JSON decoder to ``JSONValue``.
private struct DecodedJSON: Decodable {
    let value: JSONValue

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !array.isAtEnd {
                elements.append(try array.decode(DecodedJSON.self).value)
            }
            value = .array(elements)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [String: JSONValue] = [:]
            for key in object.allKeys {
                members[key.stringValue] = try object.decode(DecodedJSON.self, forKey: key).value
            }
            value = .object(members)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            value = .null
        } else if let bool = try? single.decode(Bool.self) {
            value = .bool(bool)
        } else if let number = try? single.decode(Double.self) {
            value = .number(number)
        } else {
            value = .string(try single.decode(String.self))
        }
    }
}

private struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
