import SmartLampCore
import SmartLampStore
import Tasmota

/// Registering, changing and deleting lamps: the rules (a public id is unique; a delete takes the lamp's
/// assignments, schedules and runs with it in one transaction) and what must follow every committed change — the
/// live device table (only the changed device: a change costs the same with ten lamps or ten thousand) and the open
/// realtime streams, whose visible sets may have changed.
struct DeviceAdministration: Sendable {
  let store: Store
  let state: DeviceStateService
  let accessChanges: AccessChanges

  /// Registers a lamp; `409 ALREADY_EXISTS` when the public id is taken.
  func create(_ new: NewDevice, owner: Int64?) async throws -> LampDevice {
    let device: LampDevice
    do {
      device = LampDevice(try await store.devices.create(new, ownerUserId: owner))
    } catch StoreError.duplicate {
      throw APIError.alreadyExists("Device ID already exists", field: "deviceId")
    }
    state.upsertDevice(device)
    accessChanges.changed()
    return device
  }

  /// Changes a lamp; a secret can only be set on a lamp whose MQTT id fits a signed envelope.
  func update(_ device: LampDevice, _ changes: DeviceChanges) async throws -> LampDevice {
    if case .some(.some) = changes.hmacSecret, !NativeIdentifier.isValid(device.mqttDeviceId) {
      throw APIError.unsignable(device.deviceId)
    }
    let updated: LampDevice
    do {
      updated = LampDevice(try await store.devices.update(device.deviceId, changes))
    } catch StoreError.deviceNotFound {
      throw APIError.deviceNotFound(device.deviceId)
    }
    state.upsertDevice(updated)
    accessChanges.changed()
    return updated
  }

  /// What a delete would take with it (the delete dialog names it).
  func usage(of device: LampDevice) async throws -> DeviceUsage {
    try await store.devices.usage(internalId: device.id)
  }

  func delete(_ device: LampDevice) async throws {
    guard try await store.devices.delete(device.deviceId) else { throw APIError.deviceNotFound(device.deviceId) }
    state.removeDevice(internalID: device.id)
    accessChanges.changed()
  }
}
