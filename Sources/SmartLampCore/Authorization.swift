/// The one authorisation component every route asks (UPSTREAM §4.6, CONTRACT §3–4). Pure functions only.
///
/// Device questions take the grant the *effective user* holds on the device (the `user_devices` row of the user,
/// or of the API key's owner), or nil when there is none. Admins need none. An API key acts with its owner's rights
/// intersected with its scopes: `read` can see, `command` can control, `admin` can manage, `schedule` can manage
/// schedules; a key whose owner is gone, inactive or archived can do nothing.
public enum Authorization {
  /// A device-level action.
  public enum DeviceAction: Sendable, Hashable, CaseIterable {
    /// See the device, its status, its realtime events, GET it.
    case view
    /// Execute a command.
    case control
    /// PATCH its metadata.
    case manage
    /// See its schedules and runs.
    case viewSchedules
    /// Create, patch, delete or pause its schedules.
    case manageSchedules
  }

  /// An action that concerns no single device.
  public enum GlobalAction: Sendable, Hashable, CaseIterable {
    /// List devices (each then filtered by ``DeviceAction/view``), status, bootstrap, realtime stream.
    case listDevices
    /// Create or delete devices.
    case createOrDeleteDevice
    /// Discovery scan.
    case discovery
    /// The users API (list, create, patch, archive, restore, assignments).
    case manageUsers
    /// API key management; user admins only (a key never mints keys).
    case manageAPIKeys
    /// The caller's own profile; users only.
    case profile
    /// Read the command audit log (filtered to visible devices for members).
    case readCommandLog
    /// The system overview: readiness, versions, counts, scheduler (administrators; keys need `admin`).
    case readSystem
  }

  /// The outcome of a question.
  public enum Decision: Sendable, Hashable {
    case allowed
    case denied(Denial)

    public var isAllowed: Bool { self == .allowed }
  }

  /// Why a request was refused; the server maps each to its error code.
  public enum Denial: Sendable, Hashable {
    /// An API key lacks this scope (`403 FORBIDDEN_SCOPE`, `details.scope`).
    case missingScope(APIScope)
    /// Only admins may do this (`403 FORBIDDEN_ADMIN_REQUIRED`).
    case adminRequired
    /// Not enough rights on this device (`403 FORBIDDEN_DEVICE_ACCESS`).
    case deviceAccess
    /// Only a logged-in user may do this (an API key is refused, `403 FORBIDDEN_SCOPE`-like; the server chooses).
    case userOnly
  }

  /// The scope an API key needs for a device action.
  public static func requiredScope(for action: DeviceAction) -> APIScope {
    switch action {
    case .view, .viewSchedules: .read
    case .control: .command
    case .manage: .admin
    case .manageSchedules: .schedule
    }
  }

  /// The scope an API key needs for a global action, or nil when keys may never do it.
  public static func requiredScope(for action: GlobalAction) -> APIScope? {
    switch action {
    case .listDevices, .readCommandLog: .read
    case .createOrDeleteDevice, .discovery, .manageUsers, .readSystem: .admin
    case .manageAPIKeys, .profile: nil
    }
  }

  /// The role whose rights apply: the user's, or the key owner's (nil when the owner cannot act).
  public static func effectiveRole(of principal: Principal) -> Role? {
    switch principal {
    case .user(let user): user.role
    case .apiKey(let key): key.ownerUserId == nil ? nil : key.ownerRole
    }
  }

  public static func isAdmin(_ principal: Principal) -> Bool {
    effectiveRole(of: principal) == .admin
  }

  /// The rights the principal effectively holds on a device, given the effective user's assignment (if any).
  /// Nil means the device is invisible. Admins hold ``DeviceGrant/full``; keys are capped by their scopes.
  public static func effectiveGrant(_ principal: Principal, assignment: DeviceGrant?) -> DeviceGrant? {
    if case .apiKey(let key) = principal, !key.scopes.contains(.read) { return nil }
    return actingGrant(principal, assignment: assignment)
  }

  /// The rights the principal acts with on a device it addresses by id, visible or not: unlike
  /// ``effectiveGrant(_:assignment:)`` a key needs no `read` scope here, so a `command`-only key can execute and an
  /// `admin`-only key can patch (CONTRACT §3: the owner's rights intersected with the scopes).
  public static func actingGrant(_ principal: Principal, assignment: DeviceGrant?) -> DeviceGrant? {
    guard let role = effectiveRole(of: principal) else { return nil }
    let base: DeviceGrant
    if role == .admin {
      base = .full
    } else if let assignment {
      base = assignment
    } else {
      return nil
    }
    guard case .apiKey(let key) = principal else { return base }
    // The grant shown is conservative: it never claims more than `check` allows. `manage` needs both `command`
    // and `admin` because a manager can also control; schedule manage also needs control (the valid-combination
    // rule), so the result is always a valid grant.
    let canCommand = key.scopes.contains(.command)
    let deviceCap: DevicePermission =
      canCommand && key.scopes.contains(.admin) ? .manage : canCommand ? .control : .monitoring
    let device = min(base.devicePermission, deviceCap)
    let scheduleCap: SchedulePermission = key.scopes.contains(.schedule) && device >= .control ? .manage : .monitoring
    return DeviceGrant(devicePermission: device, schedulePermission: min(base.schedulePermission, scheduleCap))
  }

  /// Answers a device-level question.
  public static func check(_ action: DeviceAction, principal: Principal, assignment: DeviceGrant?) -> Decision {
    if case .apiKey(let key) = principal {
      let scope = requiredScope(for: action)
      guard key.scopes.contains(scope) else { return .denied(.missingScope(scope)) }
    }
    guard let role = effectiveRole(of: principal) else { return .denied(.deviceAccess) }
    if role == .admin { return .allowed }
    guard let grant = assignment else { return .denied(.deviceAccess) }
    let allowed: Bool
    switch action {
    case .view: allowed = true
    case .control: allowed = grant.devicePermission >= .control
    case .manage: allowed = grant.devicePermission == .manage
    case .viewSchedules: allowed = grant.schedulePermission >= .monitoring
    case .manageSchedules: allowed = grant.schedulePermission == .manage && grant.devicePermission >= .control
    }
    return allowed ? .allowed : .denied(.deviceAccess)
  }

  /// Answers a question that concerns no single device.
  public static func check(_ action: GlobalAction, principal: Principal) -> Decision {
    if case .apiKey(let key) = principal {
      guard let scope = requiredScope(for: action) else { return .denied(.userOnly) }
      guard key.scopes.contains(scope) else { return .denied(.missingScope(scope)) }
    }
    switch action {
    case .listDevices, .readCommandLog, .profile:
      return effectiveRole(of: principal) == nil ? .denied(.deviceAccess) : .allowed
    case .createOrDeleteDevice, .discovery, .manageUsers, .manageAPIKeys, .readSystem:
      return isAdmin(principal) ? .allowed : .denied(.adminRequired)
    }
  }

  /// A key's scope check alone (always allowed for users), for routes that only need a scope.
  public static func checkScope(_ scope: APIScope, principal: Principal) -> Decision {
    guard case .apiKey(let key) = principal else { return .allowed }
    return key.scopes.contains(scope) ? .allowed : .denied(.missingScope(scope))
  }

  // MARK: convenience predicates

  public static func canSeeDevice(_ principal: Principal, assignment: DeviceGrant?) -> Bool {
    check(.view, principal: principal, assignment: assignment).isAllowed
  }

  public static func canControlDevice(_ principal: Principal, assignment: DeviceGrant?) -> Bool {
    check(.control, principal: principal, assignment: assignment).isAllowed
  }

  public static func canManageDevice(_ principal: Principal, assignment: DeviceGrant?) -> Bool {
    check(.manage, principal: principal, assignment: assignment).isAllowed
  }

  public static func canSeeSchedules(_ principal: Principal, assignment: DeviceGrant?) -> Bool {
    check(.viewSchedules, principal: principal, assignment: assignment).isAllowed
  }

  public static func canManageSchedules(_ principal: Principal, assignment: DeviceGrant?) -> Bool {
    check(.manageSchedules, principal: principal, assignment: assignment).isAllowed
  }
}
