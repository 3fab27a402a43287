/// A refusal by a repository that the server maps to an API error (no HTTP knowledge here).
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A unique value is taken: `field` is `email`, `deviceId`, `apiKeyHash`…
  case duplicate(field: String)
  case userNotFound(Int64)
  /// The user is inactive or archived where an active one is required (an API key's owner).
  case userNotUsable(Int64)
  /// Assignments are for members only.
  case notAMember(Int64)
  /// The user must be restored first.
  case userArchived(Int64)
  case deviceNotFound(String)
  /// The change would leave no active, non-archived admin.
  case lastActiveAdmin
  /// An assignment list names the same device twice.
  case duplicateAssignment(deviceId: String)
  /// An assignment breaks the valid-combination rule (schedule manage needs device control).
  case invalidGrant(deviceId: String)

  public var description: String {
    switch self {
    case .duplicate(let field): "\(field) already exists"
    case .userNotFound(let id): "user \(id) not found"
    case .userNotUsable(let id): "user \(id) is inactive or archived"
    case .notAMember(let id): "user \(id) is not a member"
    case .userArchived(let id): "user \(id) is archived"
    case .deviceNotFound(let id): "device \(id) not found"
    case .lastActiveAdmin: "the last active admin cannot be demoted, deactivated or archived"
    case .duplicateAssignment(let id): "device \(id) is assigned twice"
    case .invalidGrant(let id): "schedule manage requires device control or manage permission (\(id))"
    }
  }
}
