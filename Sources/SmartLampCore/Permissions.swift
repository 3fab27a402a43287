/// What a member may do with one device. Ordered: monitoring < control < manage ("at least X" comparisons).
public enum DevicePermission: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  case monitoring
  case control
  case manage

  private var rank: Int {
    switch self {
    case .monitoring: 0
    case .control: 1
    case .manage: 2
    }
  }

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// What a member may do with the schedules of one device. `none` hides them.
public enum SchedulePermission: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  case none
  case monitoring
  case manage

  private var rank: Int {
    switch self {
    case .none: 0
    case .monitoring: 1
    case .manage: 2
    }
  }

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// The rights one principal holds on one device: a `user_devices` row, or the full grant of an admin.
public struct DeviceGrant: Sendable, Hashable, Codable {
  public var devicePermission: DevicePermission
  public var schedulePermission: SchedulePermission

  public init(devicePermission: DevicePermission, schedulePermission: SchedulePermission) {
    self.devicePermission = devicePermission
    self.schedulePermission = schedulePermission
  }

  /// What admins hold on every device (listed as `manage`/`manage`, UPSTREAM §4.6).
  public static let full = DeviceGrant(devicePermission: .manage, schedulePermission: .manage)

  /// The valid-combination rule: managing schedules requires at least control of the device.
  public var isValid: Bool { Self.isValidCombination(devicePermission, schedulePermission) }

  public static func isValidCombination(_ device: DevicePermission, _ schedule: SchedulePermission) -> Bool {
    schedule != .manage || device >= .control
  }
}

/// Why an assignment was refused.
public enum GrantError: Error, Sendable, Equatable {
  /// `schedulePermission = manage` with `devicePermission = monitoring`.
  case scheduleManageRequiresControl
}

extension DeviceGrant {
  /// Builds a grant, refusing the invalid combination.
  public static func validated(
    device: DevicePermission, schedule: SchedulePermission
  ) throws(GrantError) -> DeviceGrant {
    guard isValidCombination(device, schedule) else { throw .scheduleManageRequiresControl }
    return DeviceGrant(devicePermission: device, schedulePermission: schedule)
  }
}
