import SmartLampCore

extension PermissionMatrixTests {
  /// Whose rights an API key borrows.
  enum KeyOwner: Sendable {
    case admin
    /// A member holding this grant on the matrix lamp (nil: no assignment).
    case member(DeviceGrant?)
    /// A member (with a manage grant) archived after the key was made.
    case archived
  }

  /// Who calls.
  enum Caller: CustomStringConvertible, Sendable {
    case anonymous
    case admin
    /// A member holding this grant on the matrix lamp (nil: no assignment).
    case member(DeviceGrant?)
    /// A member with a manage grant and a live session, archived afterwards.
    case archivedMember
    /// The same, deactivated (`isActive: false`) instead.
    case inactiveMember
    case key([String], owner: KeyOwner)
    /// A `*` key of the admin, revoked before use.
    case revokedKey

    var description: String {
      switch self {
      case .anonymous: return "anonymous"
      case .admin: return "admin"
      case .member(let grant): return "member(\(Self.describe(grant)))"
      case .archivedMember: return "archived member"
      case .inactiveMember: return "inactive member"
      case .key(let scopes, let owner):
        let ownerText =
          switch owner {
          case .admin: "admin"
          case .member(let grant): "member(\(Self.describe(grant)))"
          case .archived: "archived member"
          }
        return "key(\(scopes.joined(separator: ",")), owner \(ownerText))"
      case .revokedKey: return "revoked key"
      }
    }

    static func describe(_ grant: DeviceGrant?) -> String {
      guard let grant else { return "unassigned" }
      return "\(grant.devicePermission.rawValue)/\(grant.schedulePermission.rawValue)"
    }

    /// False when the credentials must answer 401 on every guarded route.
    var authenticates: Bool {
      switch self {
      case .anonymous, .archivedMember, .inactiveMember, .revokedKey: false
      case .admin, .member, .key: true
      }
    }

    /// A live user session (not a key).
    var isLiveUser: Bool {
      switch self {
      case .admin, .member: true
      default: false
      }
    }

    /// Users carry every scope; keys only theirs (`*` is all).
    func holds(_ scope: String) -> Bool {
      guard case .key(let scopes, _) = self else { return true }
      return scopes.contains(scope) || scopes.contains("*")
    }

    /// The effective role: the user's or the key owner's; nil when the key's owner cannot act.
    var isAdmin: Bool? {
      switch self {
      case .admin, .key(_, .admin): true
      case .member, .key(_, .member): false
      default: nil
      }
    }

    /// The assignment on the matrix lamp of the caller, or of the key's owner (schedule rights come from it).
    var grant: DeviceGrant? {
      switch self {
      case .member(let grant), .key(_, .member(let grant)): grant
      default: nil
      }
    }

    /// The device permission the caller effectively holds on the matrix lamp, per CONTRACT §3–4: admins manage,
    /// members hold their grant, and a key holds its owner's permission capped by its scopes (`read` sees,
    /// `command` controls, `admin` manages; the permissions are ordered, so controlling includes seeing).
    var devicePermission: DevicePermission? {
      let base: DevicePermission?
      switch self {
      case .admin, .key(_, .admin): base = .manage
      case .member(let grant), .key(_, .member(let grant)): base = grant?.devicePermission
      default: base = nil
      }
      guard let base, case .key = self else { return base }
      let caps: [DevicePermission] =
        (holds("read") ? [.monitoring] : []) + (holds("command") ? [.control] : [])
        + (holds("admin") ? [.manage] : [])
      guard let cap = caps.max() else { return nil }
      return min(base, cap)
    }

    static let all: [Caller] =
      [.anonymous, .admin, .member(nil)]
      + DevicePermission.allCases.flatMap { device in
        SchedulePermission.allCases.compactMap { schedule in
          DeviceGrant.isValidCombination(device, schedule)
            ? Caller.member(DeviceGrant(devicePermission: device, schedulePermission: schedule)) : nil
        }
      }
      + [.archivedMember, .inactiveMember]
      + ["read", "command", "schedule", "admin", "*"].map { Caller.key([$0], owner: .admin) }
      + [
        .key(["read", "command"], owner: .admin),
        .key(["admin", "read"], owner: .member(nil)),
        .key(["read"], owner: .member(.init(devicePermission: .monitoring, schedulePermission: .none))),
        .key(["read", "command"], owner: .member(.init(devicePermission: .control, schedulePermission: .none))),
        .key(["read"], owner: .member(.init(devicePermission: .control, schedulePermission: .none))),
        .key(["*"], owner: .member(.init(devicePermission: .monitoring, schedulePermission: .monitoring))),
        .key(
          ["read", "command", "admin"], owner: .member(.init(devicePermission: .manage, schedulePermission: .manage))),
        .key(["*"], owner: .archived),
        .revokedKey,
      ]
  }
}
