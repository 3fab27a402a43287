/// The schema for SQLite. Version 0001 is upstream's MariaDB schema (UPSTREAM §13.1: same tables, columns and
/// ON DELETE actions, SQLite types). Version 0002 adds what the contract needs; where SQLite cannot alter a
/// constraint (command logs outliving their device, idempotency keyed per principal) the table is rebuilt with its
/// rows kept. Version 0003 adds the indexes retention and the abandoned-claim sweep seek by. Version 0004 adds what
/// the dashboard needs: device-side history and the server's small key/value state (the setup code's hash).
/// Version 0005 adds each person's dashboard preferences. Version 0006 records each device's profile
/// (tasmota/native) with its state. Version 0007 gives upstream API keys an owner (``UpstreamKeyOwners``)
/// and schedule claims a lease (``ClaimLease``).
enum SQLiteSchema {
  static let migrations: [Migration] = [base, contract, retention, dashboard, preferences, native, keysAndLeases]

  static let base = Migration(
    version: "0001_base",
    statements: [
      """
      CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'member',
        is_active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT,
        deleted_at TEXT,
        deleted_by_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        CONSTRAINT uq_users_email UNIQUE (email)
      )
      """,
      "CREATE INDEX idx_users_deleted_at ON users(deleted_at)",
      """
      CREATE TABLE devices (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        mqtt_device_id TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL,
        location TEXT,
        command_channel TEXT NOT NULL DEFAULT 'POWER',
        hmac_secret TEXT,
        created_at TEXT NOT NULL,
        CONSTRAINT uq_devices_device_id UNIQUE (device_id)
      )
      """,
      """
      CREATE TABLE user_devices (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        role TEXT NOT NULL DEFAULT 'owner',
        device_permission TEXT NOT NULL DEFAULT 'monitoring',
        schedule_permission TEXT NOT NULL DEFAULT 'none',
        assigned_by_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT,
        PRIMARY KEY (user_id, device_id)
      )
      """,
      "CREATE INDEX idx_user_devices_device ON user_devices(device_id)",
      """
      CREATE TABLE command_logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        action TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        result TEXT NOT NULL,
        created_at TEXT NOT NULL
      )
      """,
      "CREATE INDEX idx_command_logs_device ON command_logs(device_id, id DESC)",
      """
      CREATE TABLE integration_clients (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        api_key_hash TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        is_active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        CONSTRAINT uq_integration_clients_api_key_hash UNIQUE (api_key_hash)
      )
      """,
      """
      CREATE TABLE idempotency_records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL,
        route TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response_body TEXT NOT NULL,
        status_code INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        CONSTRAINT uq_idempotency_key UNIQUE (idempotency_key)
      )
      """,
      """
      CREATE TABLE rate_limit_hits (
        rate_key TEXT PRIMARY KEY NOT NULL,
        request_count INTEGER NOT NULL,
        reset_at INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )
      """,
      "CREATE INDEX idx_rate_limit_hits_reset ON rate_limit_hits(reset_at)",
      """
      CREATE TABLE auth_sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        refresh_token_hash TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_used_at INTEGER,
        rotated_at INTEGER,
        revoked_at INTEGER,
        replaced_by_session_id INTEGER REFERENCES auth_sessions(id) ON DELETE SET NULL,
        user_agent TEXT,
        ip_address TEXT,
        CONSTRAINT uq_auth_sessions_refresh_hash UNIQUE (refresh_token_hash)
      )
      """,
      "CREATE INDEX idx_auth_sessions_user_active ON auth_sessions(user_id, revoked_at, expires_at)",
      "CREATE INDEX idx_auth_sessions_expires ON auth_sessions(expires_at)",
      """
      CREATE TABLE device_schedules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        created_by_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        action TEXT NOT NULL,
        cron_expr TEXT NOT NULL,
        timezone TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        next_run_at INTEGER NOT NULL,
        last_run_at INTEGER,
        start_at INTEGER,
        end_at INTEGER,
        window_group_id TEXT,
        window_start_minute INTEGER,
        window_end_minute INTEGER,
        enforce_every_minute INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )
      """,
      "CREATE INDEX idx_device_schedules_due ON device_schedules(enabled, next_run_at)",
      "CREATE INDEX idx_device_schedules_window_group ON device_schedules(window_group_id)",
      """
      CREATE TABLE schedule_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        schedule_id INTEGER NOT NULL REFERENCES device_schedules(id) ON DELETE CASCADE,
        device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        planned_at INTEGER NOT NULL,
        executed_at INTEGER,
        request_id TEXT,
        status TEXT NOT NULL,
        error_message TEXT,
        created_at TEXT NOT NULL,
        CONSTRAINT uq_schedule_runs_schedule_planned UNIQUE (schedule_id, planned_at)
      )
      """,
      "CREATE INDEX idx_schedule_runs_schedule_id ON schedule_runs(schedule_id, planned_at)",
    ])

  static let contract = Migration(
    version: "0002_contract",
    statements: [
      // Live device state per channel (CONTRACT §7).
      """
      CREATE TABLE device_state (
        device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        power TEXT NOT NULL DEFAULT 'UNKNOWN',
        online INTEGER,
        last_seen_at INTEGER,
        rssi INTEGER,
        uptime_sec INTEGER,
        source TEXT NOT NULL DEFAULT 'device',
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (device_id, channel)
      )
      """,
      // Command logs outlive their device (CONTRACT §5): the FK becomes nullable with SET NULL and the public id
      // is kept as text. SQLite cannot alter a constraint, so the table is rebuilt.
      """
      CREATE TABLE command_logs_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
        device_public_id TEXT NOT NULL,
        channel TEXT NOT NULL DEFAULT 'POWER',
        action TEXT NOT NULL,
        origin TEXT NOT NULL DEFAULT 'user',
        client_id INTEGER REFERENCES integration_clients(id) ON DELETE SET NULL,
        schedule_id INTEGER REFERENCES device_schedules(id) ON DELETE SET NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        result TEXT NOT NULL,
        ack_status TEXT NOT NULL DEFAULT 'PENDING',
        acked_at INTEGER,
        ack_latency_ms INTEGER,
        error TEXT,
        created_at TEXT NOT NULL
      )
      """,
      """
      INSERT INTO command_logs_v2 (id, request_id, user_id, device_id, device_public_id, channel, action, origin,
        issued_at, expires_at, result, ack_status, created_at)
      SELECT c.id, c.request_id, c.user_id, c.device_id, COALESCE(d.device_id, CAST(c.device_id AS TEXT)),
        COALESCE(d.command_channel, 'POWER'), c.action,
        CASE WHEN c.user_id IS NULL THEN 'api_key' ELSE 'user' END,
        c.issued_at, c.expires_at, c.result, 'NONE', c.created_at
      FROM command_logs c LEFT JOIN devices d ON d.id = c.device_id
      """,
      "DROP TABLE command_logs",
      "ALTER TABLE command_logs_v2 RENAME TO command_logs",
      "CREATE INDEX idx_command_logs_device ON command_logs(device_id, id DESC)",
      "CREATE INDEX idx_command_logs_device_public ON command_logs(device_public_id, id DESC)",
      "CREATE INDEX idx_command_logs_request ON command_logs(request_id)",
      // Idempotency per (principal, key) with a claim before the side effect (CONTRACT §6): status and body stay
      // NULL while the first request runs. Upstream's global records are kept under principal 'legacy' and expire.
      """
      CREATE TABLE idempotency_records_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        principal TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        route TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status_code INTEGER,
        response_body TEXT,
        created_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        CONSTRAINT uq_idempotency_principal_key UNIQUE (principal, idempotency_key)
      )
      """,
      """
      INSERT INTO idempotency_records_v2 (id, principal, idempotency_key, method, path, route, request_hash,
        status_code, response_body, created_at, expires_at)
      SELECT id, 'legacy', idempotency_key, '', route, route, request_hash, status_code, response_body, created_at, 0
      FROM idempotency_records
      """,
      "DROP TABLE idempotency_records",
      "ALTER TABLE idempotency_records_v2 RENAME TO idempotency_records",
      "CREATE INDEX idx_idempotency_records_expires ON idempotency_records(expires_at)",
      // Refresh-token families (reuse revokes the family) and why a session ended.
      "ALTER TABLE auth_sessions ADD COLUMN family_id TEXT NOT NULL DEFAULT ''",
      "UPDATE auth_sessions SET family_id = 'legacy-' || id WHERE family_id = ''",
      "ALTER TABLE auth_sessions ADD COLUMN revoked_reason TEXT",
      "CREATE INDEX idx_auth_sessions_family ON auth_sessions(family_id)",
      // API keys with owner, prefix, expiry and last use (CONTRACT §3).
      "ALTER TABLE integration_clients ADD COLUMN key_prefix TEXT",
      "ALTER TABLE integration_clients ADD COLUMN owner_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL",
      "ALTER TABLE integration_clients ADD COLUMN expires_at INTEGER",
      "ALTER TABLE integration_clients ADD COLUMN last_used_at INTEGER",
      "ALTER TABLE integration_clients ADD COLUMN created_by_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL",
      "ALTER TABLE integration_clients ADD COLUMN revoked_at INTEGER",
      "CREATE INDEX idx_integration_clients_owner ON integration_clients(owner_user_id)",
      // Scheduler (CONTRACT §9): misfire grace per schedule, reason and acknowledgement per run.
      "ALTER TABLE device_schedules ADD COLUMN misfire_grace_sec INTEGER NOT NULL DEFAULT 60",
      "ALTER TABLE schedule_runs ADD COLUMN reason TEXT",
      "ALTER TABLE schedule_runs ADD COLUMN ack_status TEXT",
      "ALTER TABLE schedule_runs ADD COLUMN acked_at INTEGER",
      "ALTER TABLE schedule_runs ADD COLUMN ack_latency_ms INTEGER",
      "CREATE INDEX idx_device_schedules_user ON device_schedules(user_id)",
      "CREATE INDEX idx_device_schedules_device ON device_schedules(device_id)",
      "CREATE INDEX idx_schedule_runs_device ON schedule_runs(device_id)",
    ])

  static let retention = Migration(
    version: "0003_retention",
    statements: [
      // Retention deletes by age in batches; without these a prune scans the whole log (86 400 rows a day per
      // per-second schedule).
      "CREATE INDEX idx_command_logs_issued ON command_logs(issued_at)",
      "CREATE INDEX idx_schedule_runs_planned ON schedule_runs(planned_at)",
      // Only the slots claimed and not yet finished (a handful), so the scheduler can look for abandoned claims
      // every tick at no cost. MariaDB has no partial indexes: its schema uses (reason, created_at) instead.
      "CREATE INDEX idx_schedule_runs_claimed ON schedule_runs(created_at) WHERE reason = 'CLAIMED'",
    ])

  static let dashboard = Migration(
    version: "0004_dashboard",
    statements: [
      // Power changes a device reported that no command explains (a wall switch, Tasmota's own timer). Rows go
      // with their device; retention prunes them with the command log.
      """
      CREATE TABLE device_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        power TEXT NOT NULL,
        source TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        created_at TEXT NOT NULL
      )
      """,
      "CREATE INDEX idx_device_history_device ON device_history(device_id, occurred_at, id)",
      "CREATE INDEX idx_device_history_occurred ON device_history(occurred_at)",
      // A lamp's history pages its command rows by time: without this a page sorts every row of the lamp.
      "CREATE INDEX idx_command_logs_device_issued ON command_logs(device_id, issued_at, id)",
      // Small named values of the server itself (the first-run setup code's SHA-256, never the code).
      """
      CREATE TABLE server_state (
        name TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      )
      """,
    ])

  static let preferences = Migration(
    version: "0005_preferences",
    statements: [
      // One JSON object per person (language, theme, favourite lamps); NULL until first set.
      "ALTER TABLE users ADD COLUMN preferences TEXT"
    ])

  static let native = Migration(
    version: "0006_native",
    statements: [
      // tasmota | native, chosen from what the device publishes (issue #11); NULL until it was heard.
      "ALTER TABLE device_state ADD COLUMN profile TEXT"
    ])

  /// Upstream's API keys get the oldest active admin as owner (or, for the public demo key, are deactivated): a
  /// data step, the same on both engines (``UpstreamKeyOwners``). And a claimed schedule slot records its runner
  /// and a lease the runner renews every tick, so the claim of a killed server is marked abandoned within seconds
  /// (``ClaimLease``).
  static let keysAndLeases = Migration(
    version: "0007_keys_and_leases",
    statements: [
      "ALTER TABLE schedule_runs ADD COLUMN claimed_by TEXT",
      "ALTER TABLE schedule_runs ADD COLUMN lease_until INTEGER",
    ], step: UpstreamKeyOwners.apply)
}
