import Logging
import SmartLampStore

/// Issuing the first-run setup code, outside HTTP: `smartlamp serve` at start and `smartlamp setup-code`.
public enum FirstRunSetup {
  /// Makes a fresh code and stores its digest, invalidating any earlier one, while no active admin exists.
  /// Returns the code (to be shown once), or nil when setup is done (a leftover code is then removed).
  public static func issueCode(database: any SQLDatabase) async throws -> String? {
    let code = SetupCode.generate()
    guard try await SetupRepository(database: database).replaceCode(hash: SetupCode.digest(code)) else { return nil }
    return code
  }

  /// At start: when no active admin exists, a fresh code in one clear log line (the person starting the server
  /// reads it there; it is only good for creating the first admin, once).
  static func announce(database: any SQLDatabase, logger: Logger) async throws {
    guard let code = try await issueCode(database: database) else { return }
    let line =
      "setup code: \(code) — no administrator yet: open the dashboard and create the first one with this code "
      + "(single use; `smartlamp setup-code` makes a new one)"
    logger.notice("\(line)")
  }
}
