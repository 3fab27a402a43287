extension ScheduleRepository {
  /// Deletes run rows planned before `cutoff` (epoch ms), `batchSize` per transaction, oldest first; stops early
  /// (the next prune goes on) when the task is cancelled.
  public func deleteRuns(plannedBefore cutoff: Int64, batchSize: Int = CommandLogRepository.defaultDeletionBatchSize)
    async throws -> BatchDeletion
  {
    try await AgeDeletion(table: "schedule_runs", ageColumn: "planned_at", cutoff: cutoff, batchSize: batchSize)
      .run(on: database)
  }

  /// Marks `FAILED` with reason ``abandonedReason`` every slot still ``claimedReason`` whose runner died or lost
  /// the database before recording an outcome (the process was killed, or every attempt to write the outcome
  /// failed): a claim with a ``ClaimLease`` whose lease ended before `leaseEndedBefore` (epoch ms), or a claim
  /// without one (written by an older SmartLamp) made before `claimedBefore`. Returns how many. A read first, on
  /// the index of open claims, so the usual answer (none) costs no write transaction.
  @discardableResult
  public func failAbandonedClaims(claimedBefore: Int64, leaseEndedBefore: Int64? = nil, limit: Int = 100)
    async throws -> Int
  {
    // created_at is written by Timestamp.iso (fixed width, UTC), so text order is time order.
    let threshold = SQLValue.text(Timestamp.iso(claimedBefore))
    let ids = try await database.read { conn in
      try conn.query(
        """
        SELECT id FROM schedule_runs WHERE reason = '\(Self.claimedReason)'
          AND ((lease_until IS NULL AND created_at < ?) OR lease_until < ?)
        ORDER BY created_at \(conn.dialect.limit(limit))
        """, [threshold, .int64(leaseEndedBefore ?? Int64.min)]
      ).map { try SQLValue.int64($0.int64("id")) }
    }
    guard !ids.isEmpty else { return 0 }
    return try await database.write { conn in
      // The reason is checked again: an outcome written since the read wins.
      try conn.execute(
        """
        UPDATE schedule_runs SET status = ?, reason = ?, error_message = ?
        WHERE reason = '\(Self.claimedReason)' AND id IN (\(conn.dialect.placeholders(ids.count)))
        """,
        [
          .text(ScheduleRunStatus.failed.rawValue), .text(Self.abandonedReason), .text(Self.abandonedReason),
        ] + ids
      ).rowsAffected
    }
  }
}
