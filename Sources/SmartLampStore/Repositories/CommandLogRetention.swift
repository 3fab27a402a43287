/// What one age-based deletion removed, and in how many transactions.
public struct BatchDeletion: Sendable, Hashable {
  public var rows = 0
  /// Write transactions that deleted at least one row.
  public var batches = 0

  public init(rows: Int = 0, batches: Int = 0) {
    self.rows = rows
    self.batches = batches
  }
}

extension CommandLogRepository {
  /// Rows per transaction of an age-based deletion: a first prune of millions of rows then holds the write lock
  /// for a few milliseconds at a time, never for the whole prune.
  public static let defaultDeletionBatchSize = 1_000

  /// Deletes audit rows issued before `cutoff` (epoch ms), `batchSize` per transaction, oldest first; stops early
  /// (the next prune goes on) when the task is cancelled. A row whose acknowledgement window had not ended by
  /// `cutoff` is kept, so a cutoff near now never removes a command still waiting for its device.
  public func deleteIssued(before cutoff: Int64, batchSize: Int = defaultDeletionBatchSize) async throws
    -> BatchDeletion
  {
    try await AgeDeletion(
      table: "command_logs", ageColumn: "issued_at", extraCondition: "expires_at < ?", cutoff: cutoff,
      batchSize: batchSize
    ).run(on: database)
  }
}

/// Deletes the rows of `table` whose `ageColumn` (indexed) is below a cutoff, one batch of ids per write
/// transaction. Portable SQL: MariaDB refuses `LIMIT` in an `IN (SELECT …)`, so the ids are read, then deleted.
struct AgeDeletion: Sendable {
  let table: String
  let ageColumn: String
  /// One more condition with one `?`, bound to the cutoff as well.
  var extraCondition: String? = nil
  let cutoff: Int64
  let batchSize: Int

  func run(on database: any SQLDatabase) async throws -> BatchDeletion {
    let size = max(1, batchSize)
    var result = BatchDeletion()
    while !Task.isCancelled {
      let deleted = try await database.write { conn in try self.deleteBatch(size: size, conn) }
      guard deleted > 0 else { break }
      result.rows += deleted
      result.batches += 1
      guard deleted == size else { break }
      // Lets the writers queued behind this batch in before the next one.
      await Task.yield()
    }
    return result
  }

  private func deleteBatch(size: Int, _ conn: any SQLConnection) throws -> Int {
    var filter = "\(ageColumn) < ?"
    var binds: [SQLValue] = [.int64(cutoff)]
    if let extraCondition {
      filter += " AND \(extraCondition)"
      binds.append(.int64(cutoff))
    }
    let ids = try conn.query(
      "SELECT id FROM \(table) WHERE \(filter) ORDER BY \(ageColumn) \(conn.dialect.limit(size))", binds
    ).map { try SQLValue.int64($0.int64("id")) }
    guard !ids.isEmpty else { return 0 }
    return try conn.execute("DELETE FROM \(table) WHERE id IN (\(conn.dialect.placeholders(ids.count)))", ids)
      .rowsAffected
  }
}
