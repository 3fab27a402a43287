/// The schema for MariaDB, with the same versions as ``SQLiteSchema``. Version 0001 is upstream's
/// `migrations-mariadb/0001_schema.sql` as it stands after its later files and its "compatibility" pass
/// (UPSTREAM §13.1, §13.3): the same table, column, key and index names, so an upstream database is a valid
/// starting point and is upgraded in place. Nothing of an upstream database is dropped: where our schema differs
/// (command logs outliving their device, idempotency per principal) columns are added or relaxed, never removed.
///
/// MariaDB commits each DDL statement on its own, so a migration cannot be one transaction. Instead every statement
/// is safe to run again (`IF NOT EXISTS`/`IF EXISTS`, back-fills that only touch rows still unfilled): a migrate
/// cut off halfway simply runs the whole version again.
enum MariaDBSchema {
  static let migrations: [Migration] = [base, contract, retention, dashboard, preferences, native, keysAndLeases]

  /// Versions upstream's own migration runner records (its file names): known, never applied by us.
  static func isUpstreamVersion(_ version: String) -> Bool { version.hasSuffix(".sql") }

  static let table = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

  static let base = Migration(
    version: "0001_base",
    statements: [
      """
      CREATE TABLE IF NOT EXISTS users (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(255) NOT NULL DEFAULT '',
        email VARCHAR(255) NOT NULL,
        password_hash VARCHAR(255) NOT NULL,
        role VARCHAR(32) NOT NULL DEFAULT 'member',
        is_active TINYINT(1) NOT NULL DEFAULT 1,
        created_at VARCHAR(64) NOT NULL,
        updated_at VARCHAR(64) NULL,
        deleted_at VARCHAR(64) NULL,
        deleted_by_user_id BIGINT UNSIGNED NULL,
        UNIQUE KEY uq_users_email (email),
        KEY idx_users_deleted_at (deleted_at),
        CONSTRAINT fk_users_deleted_by FOREIGN KEY (deleted_by_user_id) REFERENCES users (id) ON DELETE SET NULL
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS devices (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        device_id VARCHAR(191) NOT NULL,
        mqtt_device_id VARCHAR(191) NOT NULL DEFAULT '',
        name VARCHAR(255) NOT NULL,
        location VARCHAR(255) NULL,
        command_channel VARCHAR(32) NOT NULL DEFAULT 'POWER',
        hmac_secret VARCHAR(255) NULL,
        created_at VARCHAR(64) NOT NULL,
        UNIQUE KEY uq_devices_device_id (device_id)
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS user_devices (
        user_id BIGINT UNSIGNED NOT NULL,
        device_id BIGINT UNSIGNED NOT NULL,
        role VARCHAR(32) NOT NULL DEFAULT 'owner',
        device_permission VARCHAR(32) NOT NULL DEFAULT 'monitoring',
        schedule_permission VARCHAR(32) NOT NULL DEFAULT 'none',
        assigned_by_user_id BIGINT UNSIGNED NULL,
        created_at VARCHAR(64) NOT NULL,
        updated_at VARCHAR(64) NULL,
        PRIMARY KEY (user_id, device_id),
        KEY idx_user_devices_device (device_id),
        CONSTRAINT fk_user_devices_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT fk_user_devices_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
        CONSTRAINT fk_user_devices_assigned_by FOREIGN KEY (assigned_by_user_id) REFERENCES users (id)
          ON DELETE SET NULL
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS command_logs (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        request_id VARCHAR(255) NOT NULL,
        user_id BIGINT UNSIGNED NULL,
        device_id BIGINT UNSIGNED NOT NULL,
        action VARCHAR(16) NOT NULL,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        result VARCHAR(64) NOT NULL,
        created_at VARCHAR(64) NOT NULL,
        KEY idx_command_logs_device (device_id, id DESC),
        CONSTRAINT fk_command_logs_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL,
        CONSTRAINT fk_command_logs_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS integration_clients (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(255) NOT NULL,
        api_key_hash CHAR(64) NOT NULL,
        scopes TEXT NOT NULL,
        is_active TINYINT(1) NOT NULL DEFAULT 1,
        created_at VARCHAR(64) NOT NULL,
        UNIQUE KEY uq_integration_clients_api_key_hash (api_key_hash)
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS idempotency_records (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        idempotency_key VARCHAR(255) NOT NULL,
        route VARCHAR(255) NOT NULL,
        request_hash CHAR(64) NOT NULL,
        response_body LONGTEXT NOT NULL,
        status_code INT NOT NULL,
        created_at VARCHAR(64) NOT NULL,
        UNIQUE KEY uq_idempotency_key (idempotency_key)
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS rate_limit_hits (
        rate_key VARCHAR(255) NOT NULL PRIMARY KEY,
        request_count INT NOT NULL,
        reset_at BIGINT NOT NULL,
        created_at VARCHAR(64) NOT NULL,
        updated_at VARCHAR(64) NOT NULL,
        KEY idx_rate_limit_hits_reset (reset_at)
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS auth_sessions (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        user_id BIGINT UNSIGNED NOT NULL,
        refresh_token_hash CHAR(64) NOT NULL,
        expires_at BIGINT NOT NULL,
        created_at VARCHAR(64) NOT NULL,
        updated_at VARCHAR(64) NOT NULL,
        last_used_at BIGINT NULL,
        rotated_at BIGINT NULL,
        revoked_at BIGINT NULL,
        replaced_by_session_id BIGINT UNSIGNED NULL,
        user_agent TEXT NULL,
        ip_address VARCHAR(255) NULL,
        UNIQUE KEY uq_auth_sessions_refresh_hash (refresh_token_hash),
        KEY idx_auth_sessions_user_active (user_id, revoked_at, expires_at),
        KEY idx_auth_sessions_expires (expires_at),
        CONSTRAINT fk_auth_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT fk_auth_sessions_replaced_by FOREIGN KEY (replaced_by_session_id) REFERENCES auth_sessions (id)
          ON DELETE SET NULL
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS device_schedules (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        user_id BIGINT UNSIGNED NOT NULL,
        device_id BIGINT UNSIGNED NOT NULL,
        created_by_user_id BIGINT UNSIGNED NULL,
        action VARCHAR(16) NOT NULL,
        cron_expr VARCHAR(128) NOT NULL,
        timezone VARCHAR(128) NOT NULL,
        enabled TINYINT(1) NOT NULL DEFAULT 1,
        next_run_at BIGINT NOT NULL,
        last_run_at BIGINT NULL,
        start_at BIGINT NULL,
        end_at BIGINT NULL,
        window_group_id VARCHAR(191) NULL,
        window_start_minute INT NULL,
        window_end_minute INT NULL,
        enforce_every_minute INT NULL,
        created_at VARCHAR(64) NOT NULL,
        updated_at VARCHAR(64) NOT NULL,
        KEY idx_device_schedules_due (enabled, next_run_at),
        KEY idx_device_schedules_window_group (window_group_id),
        CONSTRAINT fk_device_schedules_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT fk_device_schedules_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
        CONSTRAINT fk_device_schedules_created_by FOREIGN KEY (created_by_user_id) REFERENCES users (id)
          ON DELETE SET NULL
      ) \(table)
      """,
      """
      CREATE TABLE IF NOT EXISTS schedule_runs (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        schedule_id BIGINT UNSIGNED NOT NULL,
        device_id BIGINT UNSIGNED NOT NULL,
        planned_at BIGINT NOT NULL,
        executed_at BIGINT NULL,
        request_id VARCHAR(255) NULL,
        status VARCHAR(32) NOT NULL,
        error_message TEXT NULL,
        created_at VARCHAR(64) NOT NULL,
        UNIQUE KEY uq_schedule_runs_schedule_planned (schedule_id, planned_at),
        KEY idx_schedule_runs_schedule_id (schedule_id, planned_at),
        CONSTRAINT fk_schedule_runs_schedule FOREIGN KEY (schedule_id) REFERENCES device_schedules (id)
          ON DELETE CASCADE,
        CONSTRAINT fk_schedule_runs_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
      ) \(table)
      """,
      // Upstream's compatibility pass (§13.3): databases made by older upstream files lack some of these columns.
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS name VARCHAR(255) NOT NULL DEFAULT '' AFTER id",
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS role VARCHAR(32) NOT NULL DEFAULT 'member'",
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS is_active TINYINT(1) NOT NULL DEFAULT 1",
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS updated_at VARCHAR(64) NULL",
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS deleted_at VARCHAR(64) NULL",
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS deleted_by_user_id BIGINT UNSIGNED NULL",
      "ALTER TABLE users ADD INDEX IF NOT EXISTS idx_users_deleted_at (deleted_at)",
      "ALTER TABLE devices ADD COLUMN IF NOT EXISTS mqtt_device_id VARCHAR(191) NOT NULL DEFAULT ''",
      "ALTER TABLE devices ADD COLUMN IF NOT EXISTS command_channel VARCHAR(32) NOT NULL DEFAULT 'POWER'",
      "ALTER TABLE user_devices ADD COLUMN IF NOT EXISTS device_permission VARCHAR(32) NOT NULL DEFAULT 'monitoring'",
      "ALTER TABLE user_devices ADD COLUMN IF NOT EXISTS schedule_permission VARCHAR(32) NOT NULL DEFAULT 'none'",
      "ALTER TABLE user_devices ADD COLUMN IF NOT EXISTS assigned_by_user_id BIGINT UNSIGNED NULL",
      "ALTER TABLE user_devices ADD COLUMN IF NOT EXISTS updated_at VARCHAR(64) NULL",
      "ALTER TABLE user_devices ADD INDEX IF NOT EXISTS idx_user_devices_device (device_id)",
      "ALTER TABLE device_schedules ADD COLUMN IF NOT EXISTS created_by_user_id BIGINT UNSIGNED NULL",
      "ALTER TABLE device_schedules ADD COLUMN IF NOT EXISTS window_group_id VARCHAR(191) NULL",
      "ALTER TABLE device_schedules ADD COLUMN IF NOT EXISTS window_start_minute INT NULL",
      "ALTER TABLE device_schedules ADD COLUMN IF NOT EXISTS window_end_minute INT NULL",
      "ALTER TABLE device_schedules ADD COLUMN IF NOT EXISTS enforce_every_minute INT NULL",
      "ALTER TABLE device_schedules ADD INDEX IF NOT EXISTS idx_device_schedules_window_group (window_group_id)",
      // Upstream's runtime self-healing back-fills (§13.4), each touching only rows still unfilled.
      "UPDATE devices SET command_channel = 'POWER' WHERE command_channel = ''",
      "UPDATE devices SET mqtt_device_id = device_id WHERE mqtt_device_id = ''",
      """
      UPDATE users SET name = CASE WHEN lower(email) = 'admin@example.com' THEN 'Administrator'
        ELSE SUBSTRING_INDEX(email, '@', 1) END WHERE name = ''
      """,
      "UPDATE users SET role = 'member' WHERE role NOT IN ('admin', 'member')",
      "UPDATE users SET updated_at = created_at WHERE updated_at IS NULL",
      """
      UPDATE user_devices SET device_permission = 'manage', schedule_permission = 'manage'
      WHERE role = 'owner' AND (device_permission <> 'manage' OR schedule_permission <> 'manage')
      """,
      """
      UPDATE user_devices SET device_permission = 'monitoring'
      WHERE device_permission NOT IN ('monitoring', 'control', 'manage')
      """,
      "UPDATE user_devices SET schedule_permission = 'none' WHERE schedule_permission NOT IN ('none', 'monitoring', 'manage')",
      "UPDATE device_schedules SET created_by_user_id = user_id WHERE created_by_user_id IS NULL",
    ])

  static let contract = Migration(
    version: "0002_contract",
    statements: [
      """
      CREATE TABLE IF NOT EXISTS device_state (
        device_id BIGINT UNSIGNED NOT NULL,
        channel VARCHAR(32) NOT NULL,
        power VARCHAR(16) NOT NULL DEFAULT 'UNKNOWN',
        online TINYINT(1) NULL,
        last_seen_at BIGINT NULL,
        rssi INT NULL,
        uptime_sec BIGINT NULL,
        source VARCHAR(32) NOT NULL DEFAULT 'device',
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (device_id, channel),
        CONSTRAINT fk_device_state_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
      ) \(table)
      """,
      // Command logs outlive their device (CONTRACT §5): the device FK becomes nullable with SET NULL and the
      // public id is kept as text. Upstream's file may have named the constraint differently: find it by what it
      // references and drop it unless it already is the SET NULL one.
      """
      BEGIN NOT ATOMIC
        DECLARE fk VARCHAR(64) DEFAULT NULL;
        SELECT constraint_name INTO fk FROM information_schema.referential_constraints
          WHERE constraint_schema = DATABASE() AND table_name = 'command_logs' AND referenced_table_name = 'devices'
            AND delete_rule <> 'SET NULL' LIMIT 1;
        IF fk IS NOT NULL THEN
          EXECUTE IMMEDIATE CONCAT('ALTER TABLE command_logs DROP FOREIGN KEY `', REPLACE(fk, '`', '``'), '`');
        END IF;
      END
      """,
      "ALTER TABLE command_logs MODIFY device_id BIGINT UNSIGNED NULL",
      """
      ALTER TABLE command_logs ADD CONSTRAINT fk_command_logs_device_set_null FOREIGN KEY IF NOT EXISTS (device_id)
        REFERENCES devices (id) ON DELETE SET NULL
      """,
      // Rows that exist now are upstream's: they get the values the SQLite rebuild gives them ('NONE' ack), then
      // the defaults become those of new rows.
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS device_public_id VARCHAR(191) NOT NULL DEFAULT ''",
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS channel VARCHAR(32) NOT NULL DEFAULT 'POWER'",
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS origin VARCHAR(16) NOT NULL DEFAULT 'user'",
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS client_id BIGINT UNSIGNED NULL",
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS schedule_id BIGINT UNSIGNED NULL",
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS ack_status VARCHAR(16) NOT NULL DEFAULT 'NONE'",
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS acked_at BIGINT NULL",
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS ack_latency_ms BIGINT NULL",
      "ALTER TABLE command_logs ADD COLUMN IF NOT EXISTS error TEXT NULL",
      """
      UPDATE command_logs c LEFT JOIN devices d ON d.id = c.device_id
      SET c.device_public_id = COALESCE(d.device_id, CAST(c.device_id AS CHAR)),
        c.channel = COALESCE(d.command_channel, 'POWER'),
        c.origin = CASE WHEN c.user_id IS NULL THEN 'api_key' ELSE 'user' END
      WHERE c.device_public_id = '' AND c.ack_status = 'NONE'
      """,
      "ALTER TABLE command_logs ALTER COLUMN ack_status SET DEFAULT 'PENDING'",
      """
      ALTER TABLE command_logs ADD CONSTRAINT fk_command_logs_client FOREIGN KEY IF NOT EXISTS (client_id)
        REFERENCES integration_clients (id) ON DELETE SET NULL
      """,
      """
      ALTER TABLE command_logs ADD CONSTRAINT fk_command_logs_schedule FOREIGN KEY IF NOT EXISTS (schedule_id)
        REFERENCES device_schedules (id) ON DELETE SET NULL
      """,
      "ALTER TABLE command_logs ADD INDEX IF NOT EXISTS idx_command_logs_device (device_id, id DESC)",
      "ALTER TABLE command_logs ADD INDEX IF NOT EXISTS idx_command_logs_device_public (device_public_id, id DESC)",
      "ALTER TABLE command_logs ADD INDEX IF NOT EXISTS idx_command_logs_request (request_id)",
      // Idempotency per (principal, key) with a claim before the side effect (CONTRACT §6): status and body stay
      // NULL while the first request runs. Upstream's global records are kept under principal 'legacy'.
      "ALTER TABLE idempotency_records ADD COLUMN IF NOT EXISTS principal VARCHAR(191) NOT NULL DEFAULT 'legacy' AFTER id",
      "ALTER TABLE idempotency_records ADD COLUMN IF NOT EXISTS method VARCHAR(16) NOT NULL DEFAULT ''",
      "ALTER TABLE idempotency_records ADD COLUMN IF NOT EXISTS path VARCHAR(255) NOT NULL DEFAULT ''",
      "ALTER TABLE idempotency_records ADD COLUMN IF NOT EXISTS expires_at BIGINT NOT NULL DEFAULT 0",
      "ALTER TABLE idempotency_records MODIFY status_code INT NULL, MODIFY response_body LONGTEXT NULL",
      "UPDATE idempotency_records SET path = route WHERE principal = 'legacy' AND path = ''",
      """
      ALTER TABLE idempotency_records ADD UNIQUE INDEX IF NOT EXISTS uq_idempotency_principal_key
        (principal, idempotency_key)
      """,
      "ALTER TABLE idempotency_records DROP INDEX IF EXISTS uq_idempotency_key",
      "ALTER TABLE idempotency_records ADD INDEX IF NOT EXISTS idx_idempotency_records_expires (expires_at)",
      // Refresh-token families (reuse revokes the family) and why a session ended.
      "ALTER TABLE auth_sessions ADD COLUMN IF NOT EXISTS family_id VARCHAR(191) NOT NULL DEFAULT ''",
      "UPDATE auth_sessions SET family_id = CONCAT('legacy-', id) WHERE family_id = ''",
      "ALTER TABLE auth_sessions ADD COLUMN IF NOT EXISTS revoked_reason VARCHAR(64) NULL",
      "ALTER TABLE auth_sessions ADD INDEX IF NOT EXISTS idx_auth_sessions_family (family_id)",
      // API keys with owner, prefix, expiry and last use (CONTRACT §3); upstream's keys keep no owner.
      "ALTER TABLE integration_clients ADD COLUMN IF NOT EXISTS key_prefix VARCHAR(64) NULL",
      "ALTER TABLE integration_clients ADD COLUMN IF NOT EXISTS owner_user_id BIGINT UNSIGNED NULL",
      "ALTER TABLE integration_clients ADD COLUMN IF NOT EXISTS expires_at BIGINT NULL",
      "ALTER TABLE integration_clients ADD COLUMN IF NOT EXISTS last_used_at BIGINT NULL",
      "ALTER TABLE integration_clients ADD COLUMN IF NOT EXISTS created_by_user_id BIGINT UNSIGNED NULL",
      "ALTER TABLE integration_clients ADD COLUMN IF NOT EXISTS revoked_at BIGINT NULL",
      """
      ALTER TABLE integration_clients ADD CONSTRAINT fk_integration_clients_owner FOREIGN KEY IF NOT EXISTS
        (owner_user_id) REFERENCES users (id) ON DELETE SET NULL
      """,
      """
      ALTER TABLE integration_clients ADD CONSTRAINT fk_integration_clients_created_by FOREIGN KEY IF NOT EXISTS
        (created_by_user_id) REFERENCES users (id) ON DELETE SET NULL
      """,
      "ALTER TABLE integration_clients ADD INDEX IF NOT EXISTS idx_integration_clients_owner (owner_user_id)",
      // Scheduler (CONTRACT §9): misfire grace per schedule, reason and acknowledgement per run.
      "ALTER TABLE device_schedules ADD COLUMN IF NOT EXISTS misfire_grace_sec INT NOT NULL DEFAULT 60",
      "ALTER TABLE schedule_runs ADD COLUMN IF NOT EXISTS reason VARCHAR(64) NULL",
      "ALTER TABLE schedule_runs ADD COLUMN IF NOT EXISTS ack_status VARCHAR(16) NULL",
      "ALTER TABLE schedule_runs ADD COLUMN IF NOT EXISTS acked_at BIGINT NULL",
      "ALTER TABLE schedule_runs ADD COLUMN IF NOT EXISTS ack_latency_ms BIGINT NULL",
      // Ids, keys and tokens compare byte for byte, as on SQLite (and in MQTT topics): upstream's case- and
      // trailing-space-insensitive collation would make `Lamp-1` the same device as `lamp-1` and two idempotency
      // keys differing in case one key. Moving to a stricter collation never makes an existing unique key clash.
      """
      ALTER TABLE devices MODIFY device_id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
        MODIFY mqtt_device_id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL DEFAULT ''
      """,
      """
      ALTER TABLE command_logs
        MODIFY request_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
        MODIFY device_public_id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL DEFAULT ''
      """,
      """
      ALTER TABLE idempotency_records
        MODIFY idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
        MODIFY principal VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL DEFAULT 'legacy'
      """,
      "ALTER TABLE rate_limit_hits MODIFY rate_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL",
      """
      ALTER TABLE auth_sessions
        MODIFY family_id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL DEFAULT ''
      """,
      "ALTER TABLE schedule_runs MODIFY request_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL",
      "ALTER TABLE device_schedules ADD INDEX IF NOT EXISTS idx_device_schedules_user (user_id)",
      "ALTER TABLE device_schedules ADD INDEX IF NOT EXISTS idx_device_schedules_device (device_id)",
      "ALTER TABLE schedule_runs ADD INDEX IF NOT EXISTS idx_schedule_runs_device (device_id)",
    ])

  static let retention = Migration(
    version: "0003_retention",
    statements: [
      "ALTER TABLE command_logs ADD INDEX IF NOT EXISTS idx_command_logs_issued (issued_at)",
      "ALTER TABLE schedule_runs ADD INDEX IF NOT EXISTS idx_schedule_runs_planned (planned_at)",
      // SQLite indexes only the claimed rows (a partial index); MariaDB has none, so the reason leads the key and
      // the abandoned-claim sweep still seeks straight to the few CLAIMED rows.
      "ALTER TABLE schedule_runs ADD INDEX IF NOT EXISTS idx_schedule_runs_claimed (reason, created_at)",
    ])

  static let dashboard = Migration(
    version: "0004_dashboard",
    statements: [
      """
      CREATE TABLE IF NOT EXISTS device_history (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        device_id BIGINT UNSIGNED NOT NULL,
        channel VARCHAR(32) NOT NULL,
        power VARCHAR(16) NOT NULL,
        source VARCHAR(32) NOT NULL,
        occurred_at BIGINT NOT NULL,
        created_at VARCHAR(64) NOT NULL,
        KEY idx_device_history_device (device_id, occurred_at, id),
        KEY idx_device_history_occurred (occurred_at),
        CONSTRAINT fk_device_history_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
      ) \(table)
      """,
      "ALTER TABLE command_logs ADD INDEX IF NOT EXISTS idx_command_logs_device_issued (device_id, issued_at, id)",
      """
      CREATE TABLE IF NOT EXISTS server_state (
        name VARCHAR(191) NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      ) \(table)
      """,
    ])

  static let preferences = Migration(
    version: "0005_preferences",
    statements: [
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS preferences TEXT NULL"
    ])

  static let native = Migration(
    version: "0006_native",
    statements: [
      "ALTER TABLE device_state ADD COLUMN IF NOT EXISTS profile VARCHAR(16) NULL"
    ])

  /// Upstream's API keys get the oldest active admin as owner (or, for the public demo key, are deactivated): a
  /// data step, the same on both engines (``UpstreamKeyOwners``). And a claimed schedule slot records its runner
  /// and a lease the runner renews every tick, so the claim of a killed server is marked abandoned within seconds
  /// (``ClaimLease``).
  static let keysAndLeases = Migration(
    version: "0007_keys_and_leases",
    statements: [
      "ALTER TABLE schedule_runs ADD COLUMN IF NOT EXISTS claimed_by VARCHAR(191) NULL",
      "ALTER TABLE schedule_runs ADD COLUMN IF NOT EXISTS lease_until BIGINT NULL",
    ], step: UpstreamKeyOwners.apply)
}
