/// Who is making a request: a logged-in user or an API key.
public enum Principal: Sendable, Hashable {
  case user(UserPrincipal)
  case apiKey(APIKeyPrincipal)

  /// The user whose device rights apply: the user, or the key's owner (nil for an ownerless legacy key).
  public var effectiveUserId: Int64? {
    switch self {
    case .user(let user): user.id
    case .apiKey(let key): key.ownerUserId
    }
  }

  /// A stable text naming this principal, used to key idempotency records and rate limits.
  public var key: String {
    switch self {
    case .user(let user): "user:\(user.id)"
    case .apiKey(let key): "client:\(key.clientId)"
    }
  }
}

public struct UserPrincipal: Sendable, Hashable {
  public var id: Int64
  public var email: String
  public var name: String
  public var role: Role
  /// The `sid` claim of the access token, when the request came with one.
  public var sessionId: Int64?

  public init(id: Int64, email: String, name: String, role: Role, sessionId: Int64? = nil) {
    self.id = id
    self.email = email
    self.name = name
    self.role = role
    self.sessionId = sessionId
  }
}

public struct APIKeyPrincipal: Sendable, Hashable {
  public var clientId: Int64
  public var name: String
  public var scopes: APIScopes
  /// The owner whose permissions the key acts with (CONTRACT §3). Nil for legacy keys without owner: no device rights.
  public var ownerUserId: Int64?
  /// The owner's role when the owner is active and not archived; nil otherwise (the key then has no rights).
  public var ownerRole: Role?

  public init(clientId: Int64, name: String, scopes: APIScopes, ownerUserId: Int64?, ownerRole: Role?) {
    self.clientId = clientId
    self.name = name
    self.scopes = scopes
    self.ownerUserId = ownerUserId
    self.ownerRole = ownerRole
  }
}
