import Foundation

/// A user's role. Stored as text in `users.role`; anything other than `admin` is a member (UPSTREAM §4.6).
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
  case admin
  case member

  /// Parses the stored or submitted value leniently: only the exact word `admin` (case-insensitive) makes an admin.
  public init(storedValue: String) {
    self = storedValue.trimmingCharacters(in: .whitespaces).lowercased() == "admin" ? .admin : .member
  }

  /// Parses a value submitted in a request body strictly: `nil` for anything but `admin` or `member`.
  public init?(strict value: String) {
    self.init(rawValue: value)
  }
}
