import SmartLampStore
import Synchronization

/// A real database that fails chosen statements on demand: every statement whose SQL contains a fragment, after
/// letting `after` of them through, fails `times` times with an engine error (a lost connection, a full disk).
/// Without rules it is the database it wraps.
final class FaultInjectingDatabase: SQLDatabase {
  struct InjectedFault: Error, CustomStringConvertible {
    let fragment: String
    var description: String { "injected fault at \(fragment)" }
  }

  private struct Rule {
    let fragment: String
    var passes: Int
    var failures: Int
    /// Thrown instead of ``InjectedFault`` (such as `SQLError.storageFull`, what a full disk looks like).
    var error: (any Error & Sendable)?
  }

  let base: any SQLDatabase
  private let rules = Mutex<[Rule]>([])

  init(base: any SQLDatabase) { self.base = base }

  var dialect: SQLDialect { base.dialect }

  func fail(
    statementsContaining fragment: String, after passes: Int = 0, times: Int = .max,
    with error: (any Error & Sendable)? = nil
  ) {
    rules.withLock { $0.append(Rule(fragment: fragment, passes: passes, failures: times, error: error)) }
  }

  func heal() { rules.withLock { $0.removeAll() } }

  func check(_ sql: String) throws {
    let fault: (any Error)? = rules.withLock { rules -> (any Error)? in
      guard let index = rules.firstIndex(where: { sql.contains($0.fragment) && $0.failures > 0 }) else { return nil }
      if rules[index].passes > 0 {
        rules[index].passes -= 1
        return nil
      }
      rules[index].failures -= 1
      return rules[index].error ?? InjectedFault(fragment: rules[index].fragment)
    }
    if let fault { throw fault }
  }

  func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
    try await base.read { conn in try body(FaultInjectingConnection(base: conn, faults: self)) }
  }

  func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
    try await base.write { conn in try body(FaultInjectingConnection(base: conn, faults: self)) }
  }

  func close() async throws { try await base.close() }
}

private struct FaultInjectingConnection: SQLConnection {
  let base: any SQLConnection
  let faults: FaultInjectingDatabase

  var dialect: SQLDialect { base.dialect }

  func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
    try faults.check(sql)
    return try base.query(sql, binds)
  }

  func execute(_ sql: String, _ binds: [SQLValue]) throws -> SQLExecuteResult {
    try faults.check(sql)
    return try base.execute(sql, binds)
  }
}
