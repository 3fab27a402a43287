import Logging
import ServiceLifecycle
import SmartLampCore
import SmartLampStore

/// Keeps open realtime streams honest (CONTRACT §8): it notices changed devices or assignments (one cheap query)
/// and recomputes what each stream's caller may see — new devices get a `devices` frame and a fresh `status` — and
/// closes streams whose login session was revoked or expired, or whose user was deactivated. It checks as soon as
/// this process commits such a change (``AccessChanges``), and at least every ``checkInterval`` for changes made
/// by other instances or the CLI, and for expiries. Sends a `ping` to every stream every ``pingInterval``.
final class RealtimeWatcher: Service, Sendable {
  /// The database poll when no nudge comes. In-process changes do not wait for it; tests lengthen it to prove so.
  @TaskLocal static var defaultCheckInterval: Duration = .seconds(2)

  let hub: RealtimeHub
  let store: Store
  let state: DeviceStateService
  let accessChanges: AccessChanges
  let logger: Logger
  let checkInterval: Duration
  let pingInterval: Duration

  init(
    hub: RealtimeHub, store: Store, state: DeviceStateService, accessChanges: AccessChanges, logger: Logger,
    checkInterval: Duration = RealtimeWatcher.defaultCheckInterval, pingInterval: Duration = .seconds(15)
  ) {
    self.hub = hub
    self.store = store
    self.state = state
    self.accessChanges = accessChanges
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
      // Read before checking: a change committed during the check moves it, and the wait below returns at once.
      let seen = accessChanges.generation
      do {
        let version = state.devicesVersion
        let current = try await store.devices.visibilitySignature()
        if current != signature {
          signature = current
          // Changes made through this process are already applied, device by device; only a change made
          // elsewhere (another instance, the CLI) costs a reload. A change in this process during the read makes
          // the read stale: it is not applied, and the change's own nudge brings the next check at once.
          if !state.holdsDevices(matching: current) {
            let loaded = state.devicesVersion == version ? try await store.devices.lampDevices() : nil
            if loaded.map({ state.setDevices($0, ifUnchangedSince: version) }) != true { signature = "" }
          }
          try await refreshVisibility()
        }
        try await closeRevokedStreams()
      } catch {
        logger.warning("realtime stream check failed", metadata: ["error": "\(error)"])
      }
      await accessChanges.wait(past: seen, atMost: checkInterval)
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
          grants = try await store.assignments.grantsByDeviceInternalId(user)
          grantsByUser[user] = grants
        }
      }
      let visible = Set(
        allDevices.filter { Authorization.effectiveGrant(principal, assignment: grants[$0.id]) != nil }.map(\.id))
      guard let added = hub.updateVisible(id, to: visible) else { continue }
      hub.send(to: id, json: RealtimeEvent.json(RealtimeEvent.Devices(ts: RealtimeEvent.now())))
      let lastCommands = added.isEmpty ? [:] : try await store.commandLogs.lastCommands()
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
    let now = Timestamp.nowMillis()
    let alive = try await store.sessions.liveSessionRoles(among: sessions, now: now)
    for (id, owner) in owners {
      guard let role = alive[owner.sessionID ?? 0] else {
        hub.close(id)
        continue
      }
      // A promoted or demoted caller's stream would keep the visibility of the old role: close it, and the
      // client's reconnect gets a snapshot for the new one.
      if case .user(let user) = owner.principal, user.role != role { hub.close(id) }
    }
  }

  private func closeRevokedKeyStreams() async throws {
    let owners = hub.owners().compactMap { entry -> (Int, Int64)? in
      if case .apiKey(let key) = entry.owner.principal { return (entry.id, key.clientId) }
      return nil
    }
    guard !owners.isEmpty else { return }
    let clients = Set(owners.map(\.1))
    let now = Timestamp.nowMillis()
    let alive = try await store.apiKeys.usableIds(among: clients, now: now)
    for (id, client) in owners where !alive.contains(client) { hub.close(id) }
  }
}
