import SmartLampCore

/// The outcome of completing the first run with a setup code.
public enum SetupCompletion: Sendable, Hashable {
  /// The first admin was created and the code is spent.
  case created(UserRecord)
  /// No code is stored, or the given one does not match it; nothing changed.
  case invalidCode
  /// An active admin exists (made meanwhile by another request, the CLI or the environment); nothing changed.
  case alreadyDone
}

/// The first-run setup code in `server_state`: only its SHA-256 is stored (name ``codeName``), it exists while no
/// active admin exists, and spending it creates the first admin in the same transaction.
public struct SetupRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  public static let codeName = "setup_code_sha256"

  /// Whether no active admin exists (the first run is not done).
  public func needsSetup() async throws -> Bool {
    try await database.read { conn in try UserRepository.activeAdminCount(conn) == 0 }
  }

  /// Stores `hash` as the setup code's digest, replacing (invalidating) any earlier one, while no active admin
  /// exists. Once one exists, removes a leftover code instead and returns false.
  @discardableResult
  public func replaceCode(hash: String, now: Int64 = Timestamp.nowMillis()) async throws -> Bool {
    try await database.write { conn in
      guard try UserRepository.activeAdminCount(lock: true, conn) == 0 else {
        try Self.removeCode(conn)
        return false
      }
      try conn.execute(
        conn.dialect.upsert(
          into: "server_state", columns: ["name", "value", "updated_at"], conflictColumns: ["name"],
          updateColumns: ["value", "updated_at"]),
        [.text(Self.codeName), .text(hash), .int64(now)])
      return true
    }
  }

  /// The stored digest of the current code, if any.
  public func codeDigest() async throws -> String? {
    try await database.read { conn in
      try conn.queryOne("SELECT value FROM server_state WHERE name = ?", [.text(Self.codeName)])?.string("value")
    }
  }

  /// Spends the code and creates `admin` (role admin, active) in one transaction, when no active admin exists and
  /// `matches` accepts the stored digest (the caller compares in constant time). Of two concurrent completions
  /// exactly one creates the admin: the other finds the code gone or the admin there.
  /// - Throws: `StoreError.duplicate(field: "email")` when the email is taken (nothing changes then).
  public func complete(
    admin: NewUser, matches: @escaping @Sendable (String) -> Bool, now: Int64 = Timestamp.nowMillis()
  ) async throws -> SetupCompletion {
    try await database.write { conn in
      let stored = try conn.queryOne(
        "SELECT value FROM server_state WHERE name = ?\(conn.dialect.lockForUpdate)", [.text(Self.codeName)]
      ).map { try $0.string("value") }
      guard try UserRepository.activeAdminCount(lock: true, conn) == 0 else { return .alreadyDone }
      guard let stored, matches(stored) else { return .invalidCode }
      var user = admin
      user.role = .admin
      user.isActive = true
      let created = try UserRepository.insert(user, now: now, conn)
      try Self.removeCode(conn)
      return .created(created)
    }
  }

  private static func removeCode(_ conn: any SQLConnection) throws {
    try conn.execute("DELETE FROM server_state WHERE name = ?", [.text(codeName)])
  }
}
