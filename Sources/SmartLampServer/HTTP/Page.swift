import Hummingbird
import SmartLampCore

/// A page of a list that can grow (CONTRACT §5): `{items, nextCursor}`; `nextCursor` is null on the last page.
struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
  let items: [Item]
  @NullEncoded var nextCursor: String?

  init(items: [Item], nextCursor: String?) {
    self.items = items
    self.nextCursor = nextCursor
  }
}

/// The `limit` and `cursor` query parameters of a paginated list, checked in one way for every list.
struct PageQuery: Sendable {
  /// Page size, within `1…maximum`.
  var limit: Int
  /// The opaque cursor text, nil on the first page.
  var cursor: String?
  /// Whether the caller asked for a page at all (upstream's lists answer bare arrays otherwise).
  var isPaginated: Bool

  static let maximumCursorLength = 128

  /// Reads `limit` (default `defaultLimit`) and `cursor` (or its older name `before`), recording errors in `errors`.
  init(_ request: Request, defaultLimit: Int, maximum: Int, errors: inout FieldErrors) {
    let query = request.uri.queryParameters
    limit = defaultLimit
    let limitText = query.get("limit")
    if let limitText {
      if let value = Int(limitText), (1...maximum).contains(value) {
        limit = value
      } else {
        errors.add("limit", "must be an integer between 1 and \(maximum)")
      }
    }
    let cursorText = query.get("cursor") ?? query.get("before")
    cursor = cursorText.flatMap { $0.isEmpty ? nil : $0 }
    if let cursor, cursor.count > Self.maximumCursorLength { errors.add("cursor", "is not a valid cursor") }
    isPaginated = limitText != nil || cursorText != nil
  }

  /// The cursor as a positive row id (the usual cursor), recording an error when it is anything else.
  func rowID(errors: inout FieldErrors) -> Int64? {
    guard let cursor else { return nil }
    guard let value = Int64(cursor), value > 0 else {
      errors.add("cursor", "is not a valid cursor")
      return nil
    }
    return value
  }
}
