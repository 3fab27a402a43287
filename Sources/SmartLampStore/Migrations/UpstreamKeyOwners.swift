import SmartLampCore

/// Migration 0007's data step, the same on both engines: API keys that came from the upstream system get an owner,
/// so they keep working after the upgrade (an ownerless key may do nothing, CONTRACT §3).
///
/// An upstream key is one without a key prefix and without an owner: SmartLamp writes a prefix on every key it
/// creates, and upstream's `integration_clients` had neither column (UPSTREAM §4.9). Upstream gave every key the
/// rights of an admin on every device; the oldest active admin (lowest id) becomes the owner, so a key acts as it
/// did, capped by its scopes. Upstream's `*` meant read, command and schedule, the scopes it had: it is written out
/// so the key does not gain SmartLamp's `admin` scope. The public demo key (`demo-integration-key`, printed in
/// upstream's README and seeds) is deactivated instead: anyone could use it. Every change is reported.
enum UpstreamKeyOwners {
  /// SHA-256 of `demo-integration-key` (UPSTREAM §13.5).
  static let demoKeyHash = "10f752b000d239490916cb969f1a709cd4e3b359f51467adbaf20818cdcb3bfd"
  /// What upstream's `*` granted.
  static let upstreamScopes = APIScopes([.read, .command, .schedule])

  static let upstreamKey = "key_prefix IS NULL AND owner_user_id IS NULL"

  static func apply(_ conn: any SQLConnection, now: Int64) throws -> [String] {
    var notes: [String] = []
    let demo = try conn.query(
      "SELECT id, name FROM integration_clients WHERE \(upstreamKey) AND api_key_hash = ? AND is_active = 1",
      [.text(demoKeyHash)])
    for row in demo {
      try conn.execute(
        "UPDATE integration_clients SET is_active = 0, revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
        [.int64(now), .int64(try row.int64("id"))])
      notes.append(
        "deactivated upstream's public demo API key '\(try row.string("name"))' (id \(try row.int64("id"))): its "
          + "secret demo-integration-key is published with the upstream system; create a key of your own with "
          + "`smartlamp apikey create`")
    }
    let keys = try conn.query(
      "SELECT id, name, scopes FROM integration_clients WHERE \(upstreamKey) AND api_key_hash <> ? ORDER BY id",
      [.text(demoKeyHash)])
    guard !keys.isEmpty else { return notes }
    let names = try keys.map { "'\(try $0.string("name"))' (id \(try $0.int64("id")))" }.joined(separator: ", ")
    guard
      let admin = try conn.queryOne(
        """
        SELECT id, email FROM users WHERE role = 'admin' AND is_active = 1 AND deleted_at IS NULL
        ORDER BY id \(conn.dialect.limit(1))
        """)
    else {
      notes.append(
        "\(keys.count) upstream API key(s) stay without an owner because the database has no active admin: "
          + "\(names). They authenticate but may do nothing; create an admin (`smartlamp user create --admin`) "
          + "and new keys with `smartlamp apikey create`")
      return notes
    }
    let adminId = try admin.int64("id")
    for key in keys {
      var scopes = try key.string("scopes")
      if APIScopes(csv: scopes).isWildcard { scopes = upstreamScopes.csv }
      try conn.execute(
        "UPDATE integration_clients SET owner_user_id = ?, scopes = ? WHERE id = ? AND \(upstreamKey)",
        [.int64(adminId), .text(scopes), .int64(try key.int64("id"))])
    }
    notes.append(
      "\(keys.count) upstream API key(s) now act for the oldest active admin, \(try admin.string("email")) "
        + "(id \(adminId)), with their scopes: \(names)")
    return notes
  }
}
