import SmartLampStore

extension LampServices {
  /// A registered lamp from memory, or else from the database. Several instances may share one database: a lamp
  /// registered through another reaches this one's memory only with the next device check (the realtime watcher's
  /// interval), and meanwhile a command, a schedule slot or an admin screen must not find it missing.
  func knownDevice(publicID: String) async throws -> LampDevice? {
    if let device = state.device(publicID: publicID) { return device }
    return try await remember(store.devices.byPublicId(publicID))
  }

  /// As ``knownDevice(publicID:)`` by internal id (what a schedule holds).
  func knownDevice(internalID: Int64) async throws -> LampDevice? {
    if let device = state.device(internalID: internalID) { return device }
    return try await remember(store.devices.byId(internalID))
  }

  private func remember(_ record: DeviceRecord?) -> LampDevice? {
    guard let record else { return nil }
    let device = LampDevice(record)
    state.upsertDevice(device)
    return device
  }
}
