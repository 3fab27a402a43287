/// A property that is always present in the JSON it encodes to: `null` when nil, instead of a missing key, so
/// clients can rely on every documented key. With synthesised `Encodable`, this replaces hand-written `encode(to:)`.
@propertyWrapper
struct NullEncoded<Value: Encodable & Sendable>: Encodable, Sendable {
  var wrappedValue: Value?

  init(wrappedValue: Value?) {
    self.wrappedValue = wrappedValue
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
  }
}
