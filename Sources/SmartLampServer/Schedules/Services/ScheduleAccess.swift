import SmartLampCore
import SmartLampStore

/// Who may see and change which schedules; every answer comes from ``Authorization`` (UPSTREAM §4.6:
/// visibility follows the caller's rights on the schedule's device, whoever owns the schedule).
extension LampServices {
  /// Internal ids of the devices whose schedules `principal` may see; nil means every device (admins).
  func scheduleDeviceFilter(for principal: Principal) async throws -> Set<Int64>? {
    if Authorization.check(.viewSchedules, principal: principal, assignment: nil).isAllowed { return nil }
    guard let user = principal.effectiveUserId else { return [] }
    let grants = try await store.assignments.grantsByDeviceInternalId(user)
    return Set(
      state.devices.filter {
        Authorization.check(.viewSchedules, principal: principal, assignment: grants[$0.id]).isAllowed
      }.map(\.id))
  }

  /// The schedule with this id when `principal` may do `action` on its device; otherwise (or when missing)
  /// `404 SCHEDULE_NOT_FOUND`, so hidden schedules are indistinguishable from missing ones.
  func authorisedSchedule(_ idText: String, principal: Principal, action: Authorization.DeviceAction) async throws
    -> ScheduleRecord
  {
    guard let id = Int64(idText), id > 0, let schedule = try await store.schedules.byId(id) else {
      throw APIError.scheduleNotFound(idText)
    }
    var assignment: DeviceGrant?
    if !Authorization.isAdmin(principal), let user = principal.effectiveUserId {
      assignment = try await store.assignments.grant(userId: user, deviceInternalId: schedule.deviceInternalId)
    }
    guard Authorization.check(action, principal: principal, assignment: assignment).isAllowed else {
      // Seen but not changeable: say so. Not seen: indistinguishable from missing.
      if action != .viewSchedules,
        Authorization.check(.viewSchedules, principal: principal, assignment: assignment).isAllowed
      {
        throw APIError(.deviceAccess)
      }
      throw APIError.scheduleNotFound(idText)
    }
    return schedule
  }

  /// Whether a schedule's owner may still have it run (CONTRACT §9): active, not archived, allowed to manage
  /// schedules of the device. Nil when allowed, else the reason recorded on a skipped run.
  func ownerRefusal(userId: Int64, deviceInternalId: Int64) async throws -> String? {
    guard let user = try await store.users.byId(userId), user.isUsable else { return ScheduleSkipReason.ownerInactive }
    let principal = Principal.user(UserPrincipal(id: user.id, email: user.email, name: user.name, role: user.role))
    let assignment =
      user.role == .admin
      ? nil : try await store.assignments.grant(userId: user.id, deviceInternalId: deviceInternalId)
    return Authorization.check(.manageSchedules, principal: principal, assignment: assignment).isAllowed
      ? nil : ScheduleSkipReason.ownerNotPermitted
  }
}

/// `schedule_runs.reason` of slots that were not executed.
enum ScheduleSkipReason {
  static let missed = "MISSED"
  static let ownerInactive = "OWNER_INACTIVE"
  static let ownerNotPermitted = "OWNER_NOT_PERMITTED"
  static let deviceMissing = "DEVICE_NOT_FOUND"
}
