import SmartLampCore

/// A `users` row.
public struct UserRecord: Sendable, Hashable {
  public var id: Int64
  public var name: String
  public var email: String
  public var passwordHash: String
  public var role: Role
  /// The role as stored (upstream rows may hold other text); list cursors use it.
  public var roleText: String
  public var isActive: Bool
  public var createdAt: String
  public var updatedAt: String?
  public var deletedAt: String?
  public var deletedByUserId: Int64?

  public var isArchived: Bool { deletedAt != nil }
  /// May log in and act: active and not archived.
  public var isUsable: Bool { isActive && !isArchived }

  init(row: SQLRow) throws {
    id = try row.int64("id")
    name = try row.string("name")
    email = try row.string("email")
    passwordHash = try row.string("password_hash")
    roleText = try row.string("role")
    role = Role(storedValue: roleText)
    isActive = try row.bool("is_active")
    createdAt = try row.string("created_at")
    updatedAt = try row.optionalString("updated_at")
    deletedAt = try row.optionalString("deleted_at")
    deletedByUserId = try row.optionalInt64("deleted_by_user_id")
  }
}

/// A position in the users list, which is ordered by stored role text, then id.
public struct UserListPosition: Sendable, Hashable {
  public var role: String
  public var id: Int64

  public init(role: String, id: Int64) {
    self.role = role
    self.id = id
  }
}

/// A page of ``UserRepository/page(limit:after:includeArchived:)``; `next` is where the following page starts.
public struct UserPage: Sendable, Hashable {
  public var items: [UserRecord]
  public var next: UserListPosition?
}

/// What the `check` of ``UserRepository/update(_:_:protectLastAdmin:revokeSessions:keepingFamilyOf:now:check:)``
/// and ``UserRepository/archive(_:by:protectLastAdmin:now:check:)`` sees: the row before the change, inside the
/// transaction, so a refusal thrown from the check leaves nothing changed.
public struct UserGuard {
  public let user: UserRecord
  let conn: any SQLConnection

  /// Active, non-archived admins other than this user.
  public func otherActiveAdminCount() throws -> Int {
    try UserRepository.activeAdminCount(excluding: user.id, lock: true, conn)
  }
}

/// What a new user is made of. The email is stored as submitted; uniqueness is case-insensitive.
public struct NewUser: Sendable, Hashable {
  public var name: String
  public var email: String
  public var passwordHash: String
  public var role: Role
  public var isActive: Bool

  public init(name: String, email: String, passwordHash: String, role: Role = .member, isActive: Bool = true) {
    self.name = name
    self.email = email
    self.passwordHash = passwordHash
    self.role = role
    self.isActive = isActive
  }
}

/// A partial update: nil fields stay as they are.
public struct UserChanges: Sendable, Hashable {
  public var name: String?
  public var email: String?
  public var passwordHash: String?
  public var role: Role?
  public var isActive: Bool?

  public init(
    name: String? = nil, email: String? = nil, passwordHash: String? = nil, role: Role? = nil, isActive: Bool? = nil
  ) {
    self.name = name
    self.email = email
    self.passwordHash = passwordHash
    self.role = role
    self.isActive = isActive
  }
}

/// Accounts. Every check that guards an invariant (unique email, at least one active admin) runs in the same
/// transaction as the change it guards.
public struct UserRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  static let columns = columns(prefix: "")

  static func columns(prefix p: String) -> String {
    [
      "id", "name", "email", "password_hash", "role", "is_active", "created_at", "updated_at", "deleted_at",
      "deleted_by_user_id",
    ].map { p + $0 }.joined(separator: ", ")
  }

  /// Creates a user; `StoreError.duplicate(field: "email")` when the email exists in any case, archived or not.
  public func create(_ user: NewUser, now: Int64 = Timestamp.nowMillis()) async throws -> UserRecord {
    try await database.write { conn in try Self.insert(user, now: now, conn) }
  }

  /// Creates `user` as an admin only while no active admin exists (the `SMARTLAMP_ADMIN_*` bootstrap); nil when
  /// one exists already.
  public func createAdminIfNoneExists(_ user: NewUser, now: Int64 = Timestamp.nowMillis()) async throws
    -> UserRecord?
  {
    try await database.write { conn in
      guard try Self.activeAdminCount(lock: true, conn) == 0 else { return nil }
      var admin = user
      admin.role = .admin
      admin.isActive = true
      return try Self.insert(admin, now: now, conn)
    }
  }

  public func byId(_ id: Int64) async throws -> UserRecord? {
    try await database.read { conn in try Self.fetch(id, conn) }
  }

  /// Case-insensitive look-up.
  public func byEmail(_ email: String) async throws -> UserRecord? {
    try await database.read { conn in
      try conn.queryOne(
        "SELECT \(Self.columns) FROM users WHERE lower(email) = lower(?) ORDER BY id \(conn.dialect.limit(1))",
        [.text(email)]
      ).map(UserRecord.init(row:))
    }
  }

  /// Users ordered as upstream lists them (role, then id); archived users only when asked.
  public func list(includeArchived: Bool = false) async throws -> [UserRecord] {
    try await database.read { conn in
      let filter = includeArchived ? "" : "WHERE deleted_at IS NULL"
      return try conn.query("SELECT \(Self.columns) FROM users \(filter) ORDER BY role ASC, id ASC")
        .map(UserRecord.init(row:))
    }
  }

  /// A page of users in list order (stored role text, then id) after `after`; `next` is set when more follow.
  public func page(limit: Int, after: UserListPosition? = nil, includeArchived: Bool = false) async throws
    -> UserPage
  {
    let size = min(max(limit, 1), 500)
    return try await database.read { conn in
      var conditions: [String] = []
      var binds: [SQLValue] = []
      if !includeArchived { conditions.append("deleted_at IS NULL") }
      if let after {
        conditions.append("(role > ? OR (role = ? AND id > ?))")
        binds += [.text(after.role), .text(after.role), .int64(after.id)]
      }
      let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
      let rows = try conn.query(
        "SELECT \(Self.columns) FROM users \(filter) ORDER BY role ASC, id ASC \(conn.dialect.limit(size + 1))",
        binds)
      let items = try rows.prefix(size).map(UserRecord.init(row:))
      let last = items.last.map { UserListPosition(role: $0.roleText, id: $0.id) }
      return UserPage(items: items, next: rows.count > size ? last : nil)
    }
  }

  /// Applies `changes`. Runs `check` first (it may throw to refuse), then refuses a duplicate email, and (with
  /// `protectLastAdmin`) a change that leaves no active admin. With `revokeSessions` the user's sessions end in
  /// the same transaction, except the family of `keepingFamilyOf`.
  public func update(
    _ id: Int64, _ changes: UserChanges, protectLastAdmin: Bool = true, revokeSessions: SessionEnd? = nil,
    keepingFamilyOf keepSessionId: Int64? = nil, now: Int64 = Timestamp.nowMillis(),
    check: @escaping @Sendable (UserGuard) throws -> Void = { _ in }
  ) async throws -> UserRecord {
    try await database.write { conn in
      guard let current = try Self.fetch(id, conn) else { throw StoreError.userNotFound(id) }
      try check(UserGuard(user: current, conn: conn))
      if let email = changes.email, try Self.emailTaken(email, except: id, conn) {
        throw StoreError.duplicate(field: "email")
      }
      var sets: [String] = []
      var binds: [SQLValue] = []
      if let name = changes.name { sets.append("name = ?"); binds.append(.text(name)) }
      if let email = changes.email { sets.append("email = ?"); binds.append(.text(email)) }
      if let hash = changes.passwordHash { sets.append("password_hash = ?"); binds.append(.text(hash)) }
      if let role = changes.role { sets.append("role = ?"); binds.append(.text(role.rawValue)) }
      if let active = changes.isActive { sets.append("is_active = ?"); binds.append(.bool(active)) }
      guard !sets.isEmpty else { return current }
      sets.append("updated_at = ?")
      binds.append(.text(Timestamp.iso(now)))
      try conn.execute("UPDATE users SET \(sets.joined(separator: ", ")) WHERE id = ?", binds + [.int64(id)])
      if protectLastAdmin, current.role == .admin, current.isUsable, try Self.activeAdminCount(lock: true, conn) == 0 {
        throw StoreError.lastActiveAdmin
      }
      if let revokeSessions {
        try SessionRepository.revokeAll(id, exceptFamilyOf: keepSessionId, reason: revokeSessions, now: now, conn)
      }
      guard let updated = try Self.fetch(id, conn) else { throw StoreError.userNotFound(id) }
      return updated
    }
  }

  /// Archives: inactive, `deleted_at` and `deleted_by_user_id` set (both kept when already set), the user's
  /// schedules paused and sessions revoked (`user_disabled`), in one transaction after `check` passed.
  /// Assignments, schedules and logs are kept.
  public func archive(
    _ id: Int64, by actor: Int64?, protectLastAdmin: Bool = true, now: Int64 = Timestamp.nowMillis(),
    check: @escaping @Sendable (UserGuard) throws -> Void = { _ in }
  ) async throws -> UserRecord {
    try await database.write { conn in
      guard let current = try Self.fetch(id, conn) else { throw StoreError.userNotFound(id) }
      try check(UserGuard(user: current, conn: conn))
      let iso = Timestamp.iso(now)
      try conn.execute(
        """
        UPDATE users SET is_active = 0, deleted_at = COALESCE(deleted_at, ?),
          deleted_by_user_id = COALESCE(deleted_by_user_id, ?), updated_at = ? WHERE id = ?
        """, [.text(iso), SQLValue(actor), .text(iso), .int64(id)])
      if protectLastAdmin, current.role == .admin, current.isUsable, try Self.activeAdminCount(lock: true, conn) == 0 {
        throw StoreError.lastActiveAdmin
      }
      try conn.execute(
        "UPDATE device_schedules SET enabled = 0, updated_at = ? WHERE user_id = ? AND enabled <> 0",
        [.text(iso), .int64(id)])
      try SessionRepository.revokeAll(id, exceptFamilyOf: nil, reason: .userDisabled, now: now, conn)
      guard let updated = try Self.fetch(id, conn) else { throw StoreError.userNotFound(id) }
      return updated
    }
  }

  /// Reactivates and un-archives.
  public func restore(_ id: Int64, now: Int64 = Timestamp.nowMillis()) async throws -> UserRecord {
    try await database.write { conn in
      let result = try conn.execute(
        "UPDATE users SET is_active = 1, deleted_at = NULL, deleted_by_user_id = NULL, updated_at = ? WHERE id = ?",
        [.text(Timestamp.iso(now)), .int64(id)])
      guard result.rowsAffected == 1, let user = try Self.fetch(id, conn) else { throw StoreError.userNotFound(id) }
      return user
    }
  }

  /// Admins that are active and not archived.
  public func countActiveAdmins() async throws -> Int {
    try await database.read { conn in try Self.activeAdminCount(conn) }
  }

  /// Replaces the password hash (a password change, or a hash upgrade at login); with `replacing`, only while the
  /// stored hash is still that one (a concurrent change wins). False when nothing was written.
  @discardableResult
  public func updatePasswordHash(
    _ id: Int64, _ hash: String, replacing oldHash: String? = nil, now: Int64 = Timestamp.nowMillis()
  ) async throws -> Bool {
    try await database.write { conn in
      var sql = "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?"
      var binds: [SQLValue] = [.text(hash), .text(Timestamp.iso(now)), .int64(id)]
      if let oldHash {
        sql += " AND password_hash = ?"
        binds.append(.text(oldHash))
      }
      return try conn.execute(sql, binds).rowsAffected == 1
    }
  }

  // MARK: preferences

  /// A person's stored preferences: a JSON object as text, nil when never set. They are not part of
  /// ``UserRecord``: only the profile reads them.
  /// - Throws: ``StoreError/userNotFound(_:)``.
  public func preferences(_ id: Int64) async throws -> String? {
    try await database.read { conn in try Self.preferences(id, conn) }
  }

  /// Replaces a person's preferences with what `merge` makes of the stored text (nil when never set), read and
  /// written in one transaction, so two concurrent changes do not lose each other's keys. Returns what was
  /// written. `updated_at` stays: preferences are not account data.
  /// - Throws: ``StoreError/userNotFound(_:)``, or what `merge` throws (then nothing is written).
  @discardableResult
  public func updatePreferences(_ id: Int64, _ merge: @escaping @Sendable (String?) throws -> String) async throws
    -> String
  {
    try await database.write { conn in
      let merged = try merge(try Self.preferences(id, conn, lock: true))
      try conn.execute("UPDATE users SET preferences = ? WHERE id = ?", [.text(merged), .int64(id)])
      return merged
    }
  }

  // MARK: helpers running inside a caller's transaction

  /// `lock`: inside a write that changes the row next (InnoDB row lock; SQLite's writer holds the file anyway).
  static func preferences(_ id: Int64, _ conn: any SQLConnection, lock: Bool = false) throws -> String? {
    let sql = "SELECT preferences FROM users WHERE id = ?" + (lock ? conn.dialect.lockForUpdate : "")
    guard let row = try conn.queryOne(sql, [.int64(id)]) else {
      throw StoreError.userNotFound(id)
    }
    return try row.optionalString("preferences")
  }

  static func fetch(_ id: Int64, _ conn: any SQLConnection) throws -> UserRecord? {
    try conn.queryOne("SELECT \(columns) FROM users WHERE id = ?", [.int64(id)]).map(UserRecord.init(row:))
  }

  /// Roles are compared as ``Role/init(storedValue:)`` reads them (trimmed, any case). `lock` inside a write that
  /// depends on the answer: InnoDB then reads the latest rows and locks them, so two concurrent demotions of the
  /// last two admins cannot both see the other one still active (SQLite's single writer needs nothing).
  static func activeAdminCount(excluding userId: Int64? = nil, lock: Bool = false, _ conn: any SQLConnection) throws
    -> Int
  {
    let sql = """
      SELECT id FROM users
      WHERE lower(trim(role)) = 'admin' AND is_active = 1 AND deleted_at IS NULL AND id <> ?
      """
    return try conn.query(sql + (lock ? conn.dialect.lockForUpdate : ""), [.int64(userId ?? -1)]).count
  }

  static func emailTaken(_ email: String, except id: Int64?, _ conn: any SQLConnection) throws -> Bool {
    try conn.queryOne(
      "SELECT id FROM users WHERE lower(email) = lower(?) AND id <> ? \(conn.dialect.limit(1))",
      [.text(email), .int64(id ?? -1)]) != nil
  }

  static func insert(_ user: NewUser, now: Int64, _ conn: any SQLConnection) throws -> UserRecord {
    if try emailTaken(user.email, except: nil, conn) { throw StoreError.duplicate(field: "email") }
    let iso = Timestamp.iso(now)
    let result: SQLExecuteResult
    do {
      result = try conn.execute(
        """
        INSERT INTO users (name, email, password_hash, role, is_active, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        [
          .text(user.name), .text(user.email), .text(user.passwordHash), .text(user.role.rawValue),
          .bool(user.isActive), .text(iso), .text(iso),
        ])
    } catch SQLError.uniqueViolation {
      throw StoreError.duplicate(field: "email")
    }
    guard let created = try fetch(result.lastInsertID, conn) else { throw StoreError.userNotFound(result.lastInsertID) }
    return created
  }
}
