import Logging
import ServiceLifecycle
import SmartLampCore
import SmartLampStore

/// Keeps open realtime streams honest (CONTRACT §8): every ``checkInterval`` it notices changed devices or
/// assignments (one cheap query) and recomputes what each stream's caller may see — new devices get a `devices`
/// frame and a fresh `status` — and closes streams whose login session was revoked or expired, or whose user
/// was deactivated. Sends a `ping` to every stream every ``pingInterval``.
final class RealtimeWatcher: Service, Sendable {
  let hub: RealtimeHub
  let devices: LampDeviceStore
  let state: DeviceStateService
  let database: any SQLDatabase
  let logger: Logger
  let checkInterval: Duration
  let pingInterval: Duration

  init(
    hub: RealtimeHub, devices: LampDeviceStore, state: DeviceStateService, database: any SQLDatabase, logger: Logger,
    checkInterval: Duration = .milliseconds(500), pingInterval: Duration = .seconds(15)
  ) {
    self.hub = hub
    self.devices = devices
    self.state = state
    self.database = database
    self.logger = logger
    self.checkInterval = checkInterval
    self.pingInterval = pingInterval
  }

  func run() async throws {
    await withDiscardingTaskGroup { group in
      group.addTask { await self.checkLoop() }
      group.addTask { await self.pingLoop() }
      try? await gracefulShutdown()
      group.cancelAll()
    }
  }

  private func pingLoop() async {
    while !Task.isCancelled {
      do { try await Task.sleep(for: pingInterval) } catch { return }
      hub.broadcast(json: RealtimeEvent.json(RealtimeEvent.Ping(ts: RealtimeEvent.now())))
    }
  }

  private func checkLoop() async {
    var signature = ""
    while !Task.isCancelled {
      do { try await Task.sleep(for: checkInterval) } catch { return }
      do {
        let current = try await devices.visibilitySignature()
        if current != signature {
          signature = current
          state.setDevices(try await devices.all())
          try await refreshVisibility()
        }
        try await closeRevokedStreams()
      } catch {
        logger.warning("realtime stream check failed", metadata: ["error": "\(error)"])
      }
    }
  }

  /// Recomputes every stream's visible set; streams that gained or lost devices get a `devices` frame, and a
  /// `status` for each device they gained.
  func refreshVisibility() async throws {
    let allDevices = state.devices
    var grantsByUser: [Int64: [Int64: DeviceGrant]] = [:]
    for (id, owner) in hub.owners() {
      let principal = owner.principal
      var grants: [Int64: DeviceGrant] = [:]
      if !Authorization.isAdmin(principal), let user = principal.effectiveUserId {
        if let cached = grantsByUser[user] {
          grants = cached
        } else {
          grants = try await devices.grants(userID: user)
          grantsByUser[user] = grants
        }
      }
      let visible = Set(
        allDevices.filter { Authorization.effectiveGrant(principal, assignment: grants[$0.id]) != nil }.map(\.id))
      guard let added = hub.updateVisible(id, to: visible) else { continue }
      hub.send(to: id, json: RealtimeEvent.json(RealtimeEvent.Devices(ts: RealtimeEvent.now())))
      let lastCommands = added.isEmpty ? [:] : try await CommandLogStore(database: database).lastCommands()
      for device in allDevices where added.contains(device.id) {
        let status = state.status(of: device, lastCommand: lastCommands[device.id])
        let event = RealtimeEvent.Status(
          deviceId: device.deviceId, payload: .init(status: status, reportSource: "snapshot"), ts: RealtimeEvent.now())
        hub.send(to: id, json: RealtimeEvent.json(event))
      }
    }
  }

  /// Closes streams whose session family has no live session left or whose user can no longer act, and streams of
  /// API keys that were revoked, deactivated or expired.
  func closeRevokedStreams() async throws {
    try await closeRevokedKeyStreams()
    let owners = hub.owners().filter { $0.owner.sessionID != nil }
    guard !owners.isEmpty else { return }
    let sessions = Set(owners.compactMap(\.owner.sessionID))
    let now = APITime.epochMilliseconds()
    let alive = try await database.read { db -> Set<Int64> in
      let ids = sessions.sorted()
      let rows = try db.query(
        """
        SELECT s.id FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id IN (\(db.dialect.placeholders(ids.count))) AND u.is_active = 1 AND u.deleted_at IS NULL
          AND EXISTS (SELECT 1 FROM auth_sessions f WHERE f.family_id = s.family_id AND f.revoked_at IS NULL
            AND f.expires_at > ?)
        """, ids.map(SQLValue.int64) + [.int64(now)])
      return Set(try rows.map { try $0.int64("id") })
    }
    for (id, owner) in owners where !alive.contains(owner.sessionID ?? 0) {
      hub.close(id)
    }
  }

  private func closeRevokedKeyStreams() async throws {
    let owners = hub.owners().compactMap { entry -> (Int, Int64)? in
      if case .apiKey(let key) = entry.owner.principal { return (entry.id, key.clientId) }
      return nil
    }
    guard !owners.isEmpty else { return }
    let clients = Set(owners.map(\.1)).sorted()
    let now = APITime.epochMilliseconds()
    let alive = try await database.read { db -> Set<Int64> in
      let rows = try db.query(
        """
        SELECT id FROM integration_clients WHERE id IN (\(db.dialect.placeholders(clients.count)))
          AND is_active = 1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
        """, clients.map(SQLValue.int64) + [.int64(now)])
      return Set(try rows.map { try $0.int64("id") })
    }
    for (id, client) in owners where !alive.contains(client) { hub.close(id) }
  }
}
