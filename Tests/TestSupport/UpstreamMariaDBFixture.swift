/// A database exactly as the upstream TypeScript system leaves it on MariaDB (UPSTREAM §13.1, §13.3–13.5):
/// its `0001_schema.sql` after the later files, written from the spec with MariaDB's default constraint names
/// (`command_logs_ibfk_2`…, so the upgrade must find constraints by what they reference), its own
/// `schema_migrations` (file names, a TIMESTAMP column) and seed-like rows: an admin with the seed bcrypt hash, a
/// member with PBKDF2, a legacy SHA-256 user, devices with assignments, a window schedule group and a cron schedule
/// with runs, the demo API key and two keys of the household's own integrations (one with upstream's `*`), command logs (one by the key, so without a user), an idempotency record, a session
/// and a rate-limit window.
public enum UpstreamMariaDBFixture {
  public static let adminEmail = "admin@example.com"
  public static let adminPassword = "admin12345"
  public static let memberEmail = "siti@example.com"
  public static let memberPassword = "member-pass-1"
  public static let legacyEmail = "budi@example.com"
  public static let legacyPassword = "legacy-pass-1"
  public static let apiKey = "demo-integration-key"
  public static let apiKeyHash = "10f752b000d239490916cb969f1a709cd4e3b359f51467adbaf20818cdcb3bfd"
  /// A key the household made for Home Assistant by SQL, as upstream's docs said: scopes `read,command`.
  public static let homeAssistantKey = "ha-upstream-key-2025"
  public static let homeAssistantKeyHash = "f1f0ea2607504c3a1b690cf2ec1e327338943505a686e0e79ee8c76e03720a96"
  /// A key with upstream's `*` (read, command and schedule there).
  public static let nodeRedKey = "nodered-upstream-key-2025"
  public static let nodeRedKeyHash = "668c404e9a8def4cd4d408396aacacbb347b2438de2ecbbf2fca9b815fa72885"
  /// next_run_at of the cron schedule (id 21): 2030-01-01T00:00:00Z, far enough that no test run reaches it.
  public static let cronNextRunAt: Int64 = 1_893_456_000_000

  public static let sql = """
    CREATE TABLE schema_migrations (
      version VARCHAR(191) NOT NULL PRIMARY KEY,
      applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE users (
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
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE devices (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      device_id VARCHAR(191) NOT NULL,
      mqtt_device_id VARCHAR(191) NOT NULL DEFAULT '',
      name VARCHAR(255) NOT NULL,
      location VARCHAR(255) NULL,
      command_channel VARCHAR(32) NOT NULL DEFAULT 'POWER',
      hmac_secret VARCHAR(255) NULL,
      created_at VARCHAR(64) NOT NULL,
      UNIQUE KEY uq_devices_device_id (device_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE user_devices (
      user_id BIGINT UNSIGNED NOT NULL,
      device_id BIGINT UNSIGNED NOT NULL,
      role VARCHAR(32) NOT NULL DEFAULT 'owner',
      device_permission VARCHAR(32) NOT NULL DEFAULT 'monitoring',
      schedule_permission VARCHAR(32) NOT NULL DEFAULT 'none',
      assigned_by_user_id BIGINT UNSIGNED NULL,
      created_at VARCHAR(64) NOT NULL,
      updated_at VARCHAR(64) NULL,
      PRIMARY KEY (user_id, device_id),
      FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
      FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
      FOREIGN KEY (assigned_by_user_id) REFERENCES users (id) ON DELETE SET NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE command_logs (
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
      FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL,
      FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE integration_clients (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      name VARCHAR(255) NOT NULL,
      api_key_hash CHAR(64) NOT NULL,
      scopes TEXT NOT NULL,
      is_active TINYINT(1) NOT NULL DEFAULT 1,
      created_at VARCHAR(64) NOT NULL,
      UNIQUE KEY uq_integration_clients_api_key_hash (api_key_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE idempotency_records (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      idempotency_key VARCHAR(255) NOT NULL,
      route VARCHAR(255) NOT NULL,
      request_hash CHAR(64) NOT NULL,
      response_body LONGTEXT NOT NULL,
      status_code INT NOT NULL,
      created_at VARCHAR(64) NOT NULL,
      UNIQUE KEY uq_idempotency_key (idempotency_key)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE rate_limit_hits (
      rate_key VARCHAR(255) NOT NULL PRIMARY KEY,
      request_count INT NOT NULL,
      reset_at BIGINT NOT NULL,
      created_at VARCHAR(64) NOT NULL,
      updated_at VARCHAR(64) NOT NULL,
      KEY idx_rate_limit_hits_reset (reset_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE auth_sessions (
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
      FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
      FOREIGN KEY (replaced_by_session_id) REFERENCES auth_sessions (id) ON DELETE SET NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE device_schedules (
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
      FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
      FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
      FOREIGN KEY (created_by_user_id) REFERENCES users (id) ON DELETE SET NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TABLE schedule_runs (
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
      FOREIGN KEY (schedule_id) REFERENCES device_schedules (id) ON DELETE CASCADE,
      FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

    INSERT INTO schema_migrations (version) VALUES
      ('0001_schema.sql'), ('0002_user_names.sql'), ('0003_user_soft_delete.sql'), ('0004_schedule_seconds.sql');
    INSERT INTO users (id, name, email, password_hash, role, is_active, created_at, updated_at) VALUES
      (1, 'Administrator', 'admin@example.com', '$2b$12$pE5REBOZ19Ad.9CSB13J1O/n7nID3CKOq5dWd.XLOVlAHFLHEKTX.',
        'admin', 1, '2025-01-01 00:00:00', '2025-01-01 00:00:00'),
      (2, 'Siti', 'siti@example.com',
        'pbkdf2-sha256$100000$00112233445566778899aabbccddeeff$0be4048b83ed3a6961ad8b6f7809081e963d7ae891851860d1dc76526e60a386',
        'member', 1, '2025-02-01T08:00:00.000Z', '2025-02-01T08:00:00.000Z'),
      (3, 'budi', 'budi@example.com', 'bc2c92454ab5ce983c7e2b2981559123b312caae526b72a035b16c8c926ac66b',
        'member', 1, '2025-03-01T08:00:00.000Z', NULL);
    INSERT INTO devices (id, device_id, mqtt_device_id, name, location, command_channel, hmac_secret, created_at) VALUES
      (4, 'lampu-ruang-tamu', 'lampu-ruang-tamu', 'Lampu Ruang Tamu', 'Ruang Tamu', 'POWER', 'unused-tasmota',
        '2025-01-01 00:00:00'),
      (9, 'lampu-teras', 'tasmota_ABC123', 'Lampu Teras', 'Teras', 'POWER2', 'unused-tasmota',
        '2025-02-01T08:00:00.000Z');
    INSERT INTO user_devices (user_id, device_id, role, device_permission, schedule_permission, assigned_by_user_id,
      created_at, updated_at) VALUES
      (1, 4, 'owner', 'manage', 'manage', 1, '2025-01-01 00:00:00', NULL),
      (2, 4, 'member', 'control', 'manage', 1, '2025-02-01T08:00:00.000Z', NULL),
      (2, 9, 'member', 'monitoring', 'monitoring', 1, '2025-02-01T08:00:00.000Z', NULL),
      (3, 9, 'member', 'control', 'none', 1, '2025-03-01T08:00:00.000Z', NULL);
    INSERT INTO device_schedules (id, user_id, device_id, created_by_user_id, action, cron_expr, timezone, enabled,
      next_run_at, last_run_at, window_group_id, window_start_minute, window_end_minute, enforce_every_minute,
      created_at, updated_at) VALUES
      (20, 2, 4, 2, 'ON', '* * * * * 1,2,3,4,5', 'Asia/Jakarta', 1, 1893456000000, NULL,
        '7d1f5c0e-2a7b-4c55-9a0e-0a6f1b2c3d4e', 64800, 82800, 60, '2025-02-02T08:00:00.000Z', '2025-02-02T08:00:00.000Z'),
      (21, 1, 9, 1, 'OFF', '0 7 * * *', 'Asia/Jakarta', 1, 1893456000000, 1740000000000, NULL, NULL, NULL, NULL,
        '2025-02-03T08:00:00.000Z', '2025-02-03T08:00:00.000Z');
    INSERT INTO schedule_runs (schedule_id, device_id, planned_at, executed_at, request_id, status, error_message,
      created_at) VALUES
      (21, 9, 1739948400000, 1739948400120, 'sched-21-1', 'SUCCESS', NULL, '2025-02-19T07:00:00.120Z'),
      (21, 9, 1740034800000, 1740034800090, 'sched-21-2', 'FAILED', 'device offline', '2025-02-20T07:00:00.090Z');
    INSERT INTO integration_clients (id, name, api_key_hash, scopes, is_active, created_at) VALUES
      (1, 'demo-client', '10f752b000d239490916cb969f1a709cd4e3b359f51467adbaf20818cdcb3bfd', 'read,command,schedule', 1,
        '2025-01-01 00:00:00'),
      (2, 'home-assistant', 'f1f0ea2607504c3a1b690cf2ec1e327338943505a686e0e79ee8c76e03720a96', 'read,command', 1,
        '2025-02-05T08:00:00.000Z'),
      (3, 'node-red', '668c404e9a8def4cd4d408396aacacbb347b2438de2ecbbf2fca9b815fa72885', '*', 1,
        '2025-02-06T08:00:00.000Z');
    INSERT INTO command_logs (request_id, user_id, device_id, action, issued_at, expires_at, result, created_at) VALUES
      ('req-1', 2, 4, 'ON', 1739900000000, 1739900030000, 'PUBLISHED', '2025-02-18T17:33:20.000Z'),
      ('req-2', NULL, 9, 'OFF', 1739900100000, 1739900130000, 'PUBLISHED', '2025-02-18T17:35:00.000Z'),
      ('sched-21-1', 1, 9, 'OFF', 1739948400120, 1739948430120, 'SCHEDULED_SUCCESS', '2025-02-19T07:00:00.120Z');
    INSERT INTO idempotency_records (idempotency_key, route, request_hash, response_body, status_code, created_at)
      VALUES ('idem-1', '/api/v1/commands/execute', 'abc', '{"success":true}', 200, '2025-02-18T17:33:20.000Z');
    INSERT INTO auth_sessions (id, user_id, refresh_token_hash, expires_at, created_at, updated_at) VALUES
      (7, 2, 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100', 1893456000000,
        '2025-02-18T17:00:00.000Z', '2025-02-18T17:00:00.000Z');
    INSERT INTO rate_limit_hits (rate_key, request_count, reset_at, created_at, updated_at) VALUES
      ('cmd:user:2', 3, 1739900060000, '2025-02-18T17:33:20.000Z', '2025-02-18T17:33:20.000Z');
    """
}
