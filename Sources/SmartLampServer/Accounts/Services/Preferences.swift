import Foundation
import SmartLampCore

/// A person's dashboard preferences: one small JSON object of known keys — `language` (`id`|`en`), `theme`
/// (`system`|`light`|`dark`), `favourites` (at most 500 device ids) — at most 4 KiB when serialised, stored as text
/// in `users.preferences`. A change is a shallow merge: the keys it names replace the stored ones, and a key set to
/// `null` is removed.
enum Preferences {
  static let maximumBytes = 4096
  static let maximumFavourites = 500
  static let languages = ["id", "en"]
  static let themes = ["system", "light", "dark"]
  static let knownKeys = ["favourites", "language", "theme"]

  /// The stored text as an object; `{}` when never set (or unreadable, which only a hand-edited row could be).
  static func decode(_ text: String?) -> [String: JSONValue] {
    guard let text, case .object(let object)? = try? JSONParser.parse(Array(text.utf8)) else { return [:] }
    return object
  }

  /// The text stored for `object` (keys sorted, so equal preferences are equal text).
  static func encode(_ object: [String: JSONValue]) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(object), as: UTF8.self)
  }

  /// `stored` with `change` applied: given keys replace, `null` removes.
  static func merged(_ stored: [String: JSONValue], _ change: [String: JSONValue]) -> [String: JSONValue] {
    var result = stored
    for (key, value) in change {
      result[key] = value == .null ? nil : value
    }
    return result
  }

  /// `stored` with `change` applied, refused when the result would pass the size limit.
  static func applying(_ change: [String: JSONValue], to stored: [String: JSONValue]) throws -> String {
    let text = try encode(merged(stored, change))
    guard text.utf8.count <= maximumBytes else {
      throw APIError.validation(
        fieldErrors: ["preferences": ["must stay within \(maximumBytes) bytes when serialised with the stored ones"]])
    }
    return text
  }
}
