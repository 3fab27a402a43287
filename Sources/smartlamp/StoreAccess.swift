import ArgumentParser
import Logging
import SmartLampServer
import SmartLampStore

/// Runs `body` with the configured database, opened and migrated (`migrate: false`: opened as it is, for backup
/// and restore), and closes it before returning, whether `body` returned or threw. Start-up problems become one
/// line and exit status 1.
///
/// The close is awaited on every path: a command must not return while its database is still closing. `user
/// create` once closed it in an unstructured task, so the process exited while a driver thread was still
/// releasing MariaDB Connector/C's memory, and about one run in a thousand aborted in `free()` (a stress loop of
/// 3 000 `user create` runs against MariaDB: 1 to 3 aborts before, none after).
func withStore<T>(
  _ config: Configuration, migrate: Bool = true, _ body: (any SQLDatabase) async throws -> T
) async throws -> T {
  let database: any SQLDatabase
  do {
    database =
      migrate
      ? try await StoreBootstrap.open(configuration: config, logger: Logger(label: "smartlamp"))
      : try await StoreBootstrap.connect(configuration: config)
  } catch let error as StartupError {
    printError("smartlamp: \(error.description)")
    throw ExitCode(1)
  }
  let result: T
  do {
    result = try await body(database)
  } catch {
    try? await database.close()
    throw error
  }
  try await database.close()
  return result
}
