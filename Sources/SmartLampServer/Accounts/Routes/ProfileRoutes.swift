import Hummingbird
import SmartLampCore

/// `GET/PATCH /api/v1/profile` (UPSTREAM §5.8): the caller's own account and dashboard preferences, for
/// logged-in people only. A new password needs the current one and ends the caller's other sessions.
struct ProfileRoutes: Sendable {
  let accounts: AccountsServices

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("profile", use: show)
    api.patch("profile", use: update)
  }

  /// The user summary with the person's preferences (`{}` when never set).
  struct ProfileJSON: Encodable, Sendable {
    let user: UserSummary
    let own: Own

    struct Own: Encodable, Sendable {
      let preferences: [String: JSONValue]
    }

    init(_ profile: AccountsServices.Profile) {
      user = UserSummary(profile.user)
      own = Own(preferences: profile.preferences)
    }

    /// One flat object: the summary's keys and `preferences`.
    func encode(to encoder: any Encoder) throws {
      try user.encode(to: encoder)
      try own.encode(to: encoder)
    }
  }

  func show(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.profile)
    let user = try context.requireUser()
    return try EnvelopeResponse.success(
      ProfileJSON(try await accounts.profile(of: user.id)), requestID: context.requestID)
  }

  func update(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.profile)
    let user = try context.requireUser()
    var fields = try await request.bodyFields()
    let name = fields.name()
    let email = fields.email()
    let current = fields.password("currentPassword")
    let newPassword = fields.password("newPassword")
    var preferences: [String: JSONValue]?
    if let object = fields.object("preferences") { preferences = Self.preferences(object, into: &fields) }
    if ["name", "email", "newPassword", "preferences"].allSatisfy({ fields.value($0) == nil }) {
      fields.add("body", "must contain at least one of name, email, newPassword, preferences")
    }
    if fields.value("newPassword") != nil, fields.value("currentPassword") == nil {
      fields.add("currentPassword", "is required to set a new password")
    }
    try fields.finish()
    let edit = AccountsServices.ProfileEdit(
      name: name, email: email, password: current.flatMap { current in newPassword.map { (current, $0) } },
      preferences: preferences)
    let updated = try await accounts.updateProfile(
      of: user, edit, clientIP: context.clientIP, keepingSession: context.caller.sessionID)
    return try EnvelopeResponse.success(ProfileJSON(updated), requestID: context.requestID)
  }

  // MARK: fields

  /// `preferences`: at most 4 KiB when serialised, known keys only, each checked (`null` removes a key). What is
  /// wrong is recorded under `preferences` or `preferences.<key>`; nil when anything is. Favourites are kept in
  /// order, each once.
  static func preferences(_ object: [String: JSONValue], into fields: inout BodyFields) -> [String: JSONValue]? {
    guard let size = try? Preferences.encode(object).utf8.count, size <= Preferences.maximumBytes else {
      fields.add("preferences", "must be at most \(Preferences.maximumBytes) bytes when serialised")
      return nil
    }
    var change: [String: JSONValue] = [:]
    var valid = true
    for (key, value) in object.sorted(by: { $0.key < $1.key }) {
      let field = "preferences.\(key)"
      let checked: JSONValue?
      switch key {
      case _ where value == .null: checked = .null
      case "language": checked = choice(value, Preferences.languages, field, &fields)
      case "theme": checked = choice(value, Preferences.themes, field, &fields)
      case "favourites": checked = favourites(value, field, &fields)
      default:
        fields.add(field, "is not a known preference (known: \(Preferences.knownKeys.joined(separator: ", ")))")
        checked = nil
      }
      if let checked { change[key] = checked } else { valid = false }
    }
    return valid ? change : nil
  }

  private static func choice(_ value: JSONValue, _ allowed: [String], _ field: String, _ fields: inout BodyFields)
    -> JSONValue?
  {
    guard case .string(let text) = value, allowed.contains(text) else {
      fields.add(field, "must be one of: \(allowed.joined(separator: ", "))")
      return nil
    }
    return value
  }

  private static func favourites(_ value: JSONValue, _ field: String, _ fields: inout BodyFields) -> JSONValue? {
    guard case .array(let items) = value else {
      fields.add(field, "must be an array of device ids")
      return nil
    }
    guard items.count <= Preferences.maximumFavourites else {
      fields.add(field, "must contain at most \(Preferences.maximumFavourites) entries")
      return nil
    }
    var errors = FieldErrors()
    var ids: [String] = []
    var seen: Set<String> = []
    for (index, item) in items.enumerated() {
      let entry = "\(field)[\(index)]"
      guard case .string(let text) = item else {
        errors.add(entry, "must be a string")
        continue
      }
      if let id = Validation.deviceID(text, field: entry, into: &errors), seen.insert(id.rawValue).inserted {
        ids.append(id.rawValue)
      }
    }
    for (key, messages) in errors.errors {
      for message in messages { fields.add(key, message) }
    }
    return errors.isEmpty ? .array(ids.map(JSONValue.string)) : nil
  }
}
