import Hummingbird
import NIOCore
import SmartLampCore

/// A JSON object body read field by field — the one way routes read bodies. Every accessor records what is wrong
/// into one ``FieldErrors`` and returns nil for a bad field, so a handler reads every field, then calls
/// ``finish()`` once: all problems come back together as `400 VALIDATION_ERROR`, before any side effect.
///
/// `null` on a field that cannot be cleared counts as absent; PATCH fields that can be cleared are read with
/// ``patch(_:_:)`` (absent keeps, `null` clears). Unknown members are ignored (CONTRACT §1).
struct BodyFields {
  /// The body byte for byte (idempotency hashes it).
  let raw: ByteBuffer
  private let members: [String: JSONValue]
  private(set) var errors = FieldErrors()

  // `init` and `finish()` throw untyped on purpose. Swift 6.3.1 crashes in release builds (signal 11 in LLVM's
  // coroutine splitting, `emitSetAndGetSwiftErrorValueAround`) when an async handler boxes a typed
  // `throws(APIError)` into `any Error` next to an awaited call's error exit: SimplifyCFG sinks the two exits' stores
  // into one block whose address is a phi over the swifterror slot, which CoroSplit cannot handle. Every caller is
  // an async handler that rethrows as `any Error` anyway, so the typed error bought nothing here. Only
  // `swift build -c release` shows the crash (scripts/test.sh runs one in scripts/test-package.sh).
  init(_ body: JSONBody) throws {
    guard case .object(let members) = body.value else {
      throw APIError.validation(fieldErrors: ["body": ["must be a JSON object"]])
    }
    raw = body.raw
    self.members = members
  }

  /// Whether the body names `key`, even as null.
  func contains(_ key: String) -> Bool { members[key] != nil }

  /// The member as sent (any type), nil when absent or null.
  func value(_ key: String) -> JSONValue? {
    guard let value = members[key], value != .null else { return nil }
    return value
  }

  mutating func add(_ field: String, _ message: String) {
    errors.add(field, message)
  }

  /// `400 VALIDATION_ERROR` with every recorded field error, if any.
  func finish() throws {
    if !errors.isEmpty { throw APIError.validation(fieldErrors: errors.errors) }
  }

  // MARK: strings

  /// A string as sent (not trimmed), type-checked only.
  mutating func string(_ key: String, required: Bool = false) -> String? {
    switch members[key] {
    case .none, .some(.null):
      if required { errors.add(key, "is required") }
      return nil
    case .some(.string(let text)): return text
    case .some: return mismatch(key, "a string")
    }
  }

  /// A trimmed text of `lengths` characters without control characters.
  mutating func text(_ key: String, lengths: ClosedRange<Int>, required: Bool = false) -> String? {
    guard let value = string(key, required: required) else { return nil }
    return Validation.text(value, field: key, lengths: lengths, into: &errors)
  }

  mutating func name(_ key: String = "name", required: Bool = false) -> String? {
    text(key, lengths: 1...Validation.maximumNameLength, required: required)
  }

  mutating func email(_ key: String = "email", required: Bool = false) -> String? {
    guard let value = string(key, required: required) else { return nil }
    return Validation.email(value, field: key, into: &errors)
  }

  mutating func password(_ key: String = "password", required: Bool = false) -> String? {
    guard let value = string(key, required: required) else { return nil }
    return Validation.password(value, field: key, into: &errors)
  }

  mutating func deviceID(_ key: String = "deviceId", required: Bool = false) -> DeviceID? {
    guard let value = string(key, required: required) else { return nil }
    return Validation.deviceID(value, field: key, into: &errors)
  }

  /// One of an enum's raw values, e.g. a ``Role``.
  mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type, required: Bool = false)
    -> T? where T.RawValue == String
  {
    guard let value = string(key, required: required) else { return nil }
    return Validation.choice(value, field: key, as: type, into: &errors)
  }

  // MARK: numbers and flags

  mutating func int(_ key: String, in range: ClosedRange<Int>, required: Bool = false) -> Int? {
    switch members[key] {
    case .none, .some(.null):
      if required { errors.add(key, "is required") }
      return nil
    case .some(.int(let value)):
      guard range.contains(value) else {
        errors.add(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        return nil
      }
      return value
    case .some: return mismatch(key, "an integer")
    }
  }

  mutating func bool(_ key: String, required: Bool = false) -> Bool? {
    switch members[key] {
    case .none, .some(.null):
      if required { errors.add(key, "is required") }
      return nil
    case .some(.bool(let value)): return value
    case .some: return mismatch(key, "a boolean")
    }
  }

  // MARK: arrays and objects

  /// An array of at most `maximumCount` elements.
  mutating func array(_ key: String, maximumCount: Int, required: Bool = false) -> [JSONValue]? {
    switch members[key] {
    case .none, .some(.null):
      if required { errors.add(key, "is required") }
      return nil
    case .some(.array(let items)):
      guard items.count <= maximumCount else {
        errors.add(key, "must contain at most \(maximumCount) entries")
        return nil
      }
      return items
    case .some: return mismatch(key, "an array")
    }
  }

  mutating func object(_ key: String, required: Bool = false) -> [String: JSONValue]? {
    switch members[key] {
    case .none, .some(.null):
      if required { errors.add(key, "is required") }
      return nil
    case .some(.object(let value)): return value
    case .some: return mismatch(key, "an object")
    }
  }

  // MARK: PATCH

  /// A clearable member: absent → `.keep`, `null` → `.clear`, otherwise what `read` makes of it (`.keep` when it
  /// recorded an error).
  mutating func patch<Value>(_ key: String, _ read: (inout BodyFields) -> Value?) -> Patch<Value> {
    switch members[key] {
    case .none: return .keep
    case .some(.null): return .clear
    case .some: return read(&self).map(Patch.set) ?? .keep
    }
  }

  private mutating func mismatch<T>(_ key: String, _ type: String) -> T? {
    errors.add(key, "must be \(type)")
    return nil
  }
}

extension Request {
  /// The body as ``BodyFields`` under the transport rules of CONTRACT §1 (415, 413, 400 in that order).
  func bodyFields() async throws -> BodyFields {
    try BodyFields(try await jsonBody())
  }
}
