extension CommandLogRepository {
  /// Inserts several audit rows in one transaction (a batch request's refused publishes); returns their ids in
  /// order.
  @discardableResult
  public func insertAll(_ logs: [NewCommandLog], now: Int64 = Timestamp.nowMillis()) async throws -> [Int64] {
    guard !logs.isEmpty else { return [] }
    return try await database.write { conn in try logs.map { try Self.insert($0, now: now, conn) } }
  }
}
