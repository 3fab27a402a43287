import SmartLampCore
import SmartLampStore

/// The SQL of accounts and access, written against ``SQLDatabase``. Statement helpers take a connection so a route
/// can combine several in one transaction.
struct AccountsStore: Sendable {
  let database: any SQLDatabase
}

// MARK: users
extension AccountsStore {
  static func user(id: Int64, in conn: any SQLConnection) throws -> AccountUser? {
    try conn.queryOne("SELECT \(AccountUser.columns) FROM users u WHERE u.id = ?", [.int64(id)]).map(AccountUser.init)
  }

  /// Case-insensitive, archived users included (an email stays taken while its account is archived).
  static func user(email: String, in conn: any SQLConnection) throws -> AccountUser? {
    try conn.queryOne(
      "SELECT \(AccountUser.columns) FROM users u WHERE lower(u.email) = lower(?) ORDER BY u.id LIMIT 1",
      [.text(email)]
    ).map(AccountUser.init)
  }

  static func emailTaken(_ email: String, exceptUserId: Int64?, in conn: any SQLConnection) throws -> Bool {
    try conn.queryOne(
      "SELECT id FROM users WHERE lower(email) = lower(?) AND id <> ? LIMIT 1",
      [.text(email), .int64(exceptUserId ?? -1)]) != nil
  }

  /// Active, non-archived admins other than `userId`.
  static func otherActiveAdminCount(excluding userId: Int64, in conn: any SQLConnection) throws -> Int {
    try conn.queryOne(
      """
      SELECT COUNT(*) AS n FROM users
      WHERE lower(trim(role)) = 'admin' AND is_active = 1 AND deleted_at IS NULL AND id <> ?
      """, [.int64(userId)])?.int("n") ?? 0
  }

  static func insertUser(
    name: String, email: String, passwordHash: String, role: Role, isActive: Bool, in conn: any SQLConnection
  ) throws -> Int64 {
    let now = StoreTime.nowISO()
    return try conn.execute(
      """
      INSERT INTO users (name, email, password_hash, role, is_active, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      """,
      [.text(name), .text(email), .text(passwordHash), .text(role.rawValue), .bool(isActive), .text(now), .text(now)]
    ).lastInsertID
  }

  /// Users ordered by role then id (upstream-spec §5.9), optionally after a cursor position.
  static func listUsers(
    includeArchived: Bool, after cursor: UserCursor?, limit: Int?, in conn: any SQLConnection
  ) throws -> [AccountUser] {
    var sql = "SELECT \(AccountUser.columns) FROM users u WHERE 1 = 1"
    var binds: [SQLValue] = []
    if !includeArchived { sql += " AND u.deleted_at IS NULL" }
    if let cursor {
      sql += " AND (u.role > ? OR (u.role = ? AND u.id > ?))"
      binds += [.text(cursor.role), .text(cursor.role), .int64(cursor.id)]
    }
    sql += " ORDER BY u.role ASC, u.id ASC"
    if let limit {
      sql += " LIMIT ?"
      binds.append(.int64(Int64(limit)))
    }
    return try conn.query(sql, binds).map(AccountUser.init)
  }

  /// The raw stored role of a user, for cursors (the column may hold values other than admin/member).
  static func storedRole(userId: Int64, in conn: any SQLConnection) throws -> String? {
    try conn.queryOne("SELECT role FROM users WHERE id = ?", [.int64(userId)])?.string("role")
  }

  static func updatePasswordHash(
    userId: Int64, newHash: String, replacing oldHash: String? = nil, in conn: any SQLConnection
  ) throws {
    let now = StoreTime.nowISO()
    if let oldHash {
      try conn.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?",
        [.text(newHash), .text(now), .int64(userId), .text(oldHash)])
    } else {
      try conn.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
        [.text(newHash), .text(now), .int64(userId)])
    }
  }

  /// Applies the given column changes (already validated) and stamps `updated_at`.
  static func updateUser(userId: Int64, changes: AccountChanges, in conn: any SQLConnection) throws {
    var sets: [String] = []
    var binds: [SQLValue] = []
    if let name = changes.name {
      sets.append("name = ?")
      binds.append(.text(name))
    }
    if let email = changes.email {
      sets.append("email = ?")
      binds.append(.text(email))
    }
    if let hash = changes.passwordHash {
      sets.append("password_hash = ?")
      binds.append(.text(hash))
    }
    if let role = changes.role {
      sets.append("role = ?")
      binds.append(.text(role.rawValue))
    }
    if let isActive = changes.isActive {
      sets.append("is_active = ?")
      binds.append(.bool(isActive))
    }
    sets.append("updated_at = ?")
    binds.append(.text(StoreTime.nowISO()))
    binds.append(.int64(userId))
    try conn.execute("UPDATE users SET \(sets.joined(separator: ", ")) WHERE id = ?", binds)
  }

  static func archiveUser(userId: Int64, by callerId: Int64, in conn: any SQLConnection) throws {
    let now = StoreTime.nowISO()
    try conn.execute(
      """
      UPDATE users SET is_active = 0, deleted_at = COALESCE(deleted_at, ?),
        deleted_by_user_id = COALESCE(deleted_by_user_id, ?), updated_at = ?
      WHERE id = ?
      """, [.text(now), .int64(callerId), .text(now), .int64(userId)])
  }

  static func restoreUser(userId: Int64, in conn: any SQLConnection) throws {
    try conn.execute(
      "UPDATE users SET is_active = 1, deleted_at = NULL, deleted_by_user_id = NULL, updated_at = ? WHERE id = ?",
      [.text(StoreTime.nowISO()), .int64(userId)])
  }

  /// Pauses every schedule the user owns (archival; a later issue decides how they resume).
  static func pauseSchedules(ownedBy userId: Int64, in conn: any SQLConnection) throws {
    try conn.execute(
      "UPDATE device_schedules SET enabled = 0, updated_at = ? WHERE user_id = ? AND enabled <> 0",
      [.text(StoreTime.nowISO()), .int64(userId)])
  }
}

/// Column changes of a user row; nil leaves a column alone.
struct AccountChanges: Sendable {
  var name: String?
  var email: String?
  var passwordHash: String?
  var role: Role?
  var isActive: Bool?
}

/// A position in the users list (role, id), rendered as an opaque `role:id` cursor.
struct UserCursor: Sendable, Equatable {
  let role: String
  let id: Int64

  init(role: String, id: Int64) {
    self.role = role
    self.id = id
  }

  init?(text: String) {
    guard let colon = text.lastIndex(of: ":"), let id = Int64(text[text.index(after: colon)...]), id >= 0,
      text.distance(from: text.startIndex, to: colon) <= 64
    else { return nil }
    role = String(text[..<colon])
    self.id = id
  }

  var text: String { "\(role):\(id)" }
}
