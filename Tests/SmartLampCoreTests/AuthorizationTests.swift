import SmartLampCore
import Testing

/// Every question of UPSTREAM §4.6 for every principal shape, checked against the spec's table written
/// out independently here.
@Suite struct AuthorizationTests {
  typealias A = Authorization

  static let admin = Principal.user(UserPrincipal(id: 1, email: "root@example.com", name: "Root", role: .admin))
  static let member = Principal.user(UserPrincipal(id: 2, email: "kid@example.com", name: "Kid", role: .member))

  static func key(_ scopes: APIScopes, ownerRole: Role?, owner: Int64? = 9) -> Principal {
    .apiKey(APIKeyPrincipal(clientId: 5, name: "ha", scopes: scopes, ownerUserId: owner, ownerRole: ownerRole))
  }

  /// Every valid grant plus "no assignment".
  static let grants: [DeviceGrant?] =
    [nil]
    + DevicePermission.allCases.flatMap { d in
      SchedulePermission.allCases.compactMap { s in
        DeviceGrant.isValidCombination(d, s) ? DeviceGrant(devicePermission: d, schedulePermission: s) : nil
      }
    }

  /// Every scope subset, plus the wildcard.
  static let scopeSets: [APIScopes] = {
    var sets: [APIScopes] = []
    let all = APIScope.allCases
    for mask in 0..<(1 << all.count) {
      sets.append(APIScopes(Set(all.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))))
    }
    return sets + [.all]
  }()

  /// UPSTREAM §4.6's member table.
  static func memberMay(_ action: A.DeviceAction, _ grant: DeviceGrant?) -> Bool {
    guard let grant else { return false }
    switch action {
    case .view: return true
    case .control: return [.control, .manage].contains(grant.devicePermission)
    case .manage: return grant.devicePermission == .manage
    case .viewSchedules: return [.monitoring, .manage].contains(grant.schedulePermission)
    case .manageSchedules:
      return grant.schedulePermission == .manage && [.control, .manage].contains(grant.devicePermission)
    }
  }

  static func scopeFor(_ action: A.DeviceAction) -> APIScope {
    switch action {
    case .view, .viewSchedules: .read
    case .control: .command
    case .manage: .admin
    case .manageSchedules: .schedule
    }
  }

  @Test func adminsMayDoEverythingOnEveryDevice() {
    for action in A.DeviceAction.allCases {
      for grant in Self.grants {
        #expect(A.check(action, principal: Self.admin, assignment: grant) == .allowed)
      }
    }
    for action in A.GlobalAction.allCases {
      #expect(A.check(action, principal: Self.admin) == .allowed)
    }
    #expect(A.effectiveGrant(Self.admin, assignment: nil) == .full)
  }

  @Test func membersFollowTheirAssignment() {
    for action in A.DeviceAction.allCases {
      for grant in Self.grants {
        let expected: A.Decision = Self.memberMay(action, grant) ? .allowed : .denied(.deviceAccess)
        #expect(
          A.check(action, principal: Self.member, assignment: grant) == expected,
          "\(action) \(String(describing: grant))")
      }
    }
  }

  @Test func membersAndGlobalActions() {
    #expect(A.check(.listDevices, principal: Self.member) == .allowed)
    #expect(A.check(.readCommandLog, principal: Self.member) == .allowed)
    #expect(A.check(.profile, principal: Self.member) == .allowed)
    for action in [A.GlobalAction.createOrDeleteDevice, .discovery, .manageUsers, .manageAPIKeys, .readSystem] {
      #expect(A.check(action, principal: Self.member) == .denied(.adminRequired))
    }
  }

  @Test func memberEffectiveGrantIsTheAssignment() {
    for grant in Self.grants {
      #expect(A.effectiveGrant(Self.member, assignment: grant) == grant)
    }
  }

  /// A key acts with its owner's rights intersected with its scopes: the scope is checked first (FORBIDDEN_SCOPE),
  /// then the owner's rights (an admin owner has them all).
  @Test func apiKeysIntersectOwnerRightsWithScopes() {
    for scopes in Self.scopeSets {
      for ownerRole in [Role.admin, .member] {
        let principal = Self.key(scopes, ownerRole: ownerRole)
        for action in A.DeviceAction.allCases {
          for grant in Self.grants {
            let scope = Self.scopeFor(action)
            let expected: A.Decision
            if !scopes.contains(scope) {
              expected = .denied(.missingScope(scope))
            } else if ownerRole == .admin || Self.memberMay(action, grant) {
              expected = .allowed
            } else {
              expected = .denied(.deviceAccess)
            }
            #expect(A.check(action, principal: principal, assignment: grant) == expected)
          }
        }
      }
    }
  }

  @Test func keysWithoutAUsableOwnerCanDoNothing() {
    for principal in [Self.key(.all, ownerRole: nil), Self.key(.all, ownerRole: .admin, owner: nil)] {
      for action in A.DeviceAction.allCases {
        #expect(A.check(action, principal: principal, assignment: .full) == .denied(.deviceAccess))
      }
      #expect(A.effectiveGrant(principal, assignment: .full) == nil)
      #expect(A.check(.listDevices, principal: principal) == .denied(.deviceAccess))
      #expect(A.check(.manageUsers, principal: principal) == .denied(.adminRequired))
      #expect(!A.isAdmin(principal))
    }
  }

  @Test func aReadOnlyKeyCannotExecute() {
    let principal = Self.key(APIScopes([.read]), ownerRole: .admin)
    #expect(A.check(.control, principal: principal, assignment: nil) == .denied(.missingScope(.command)))
    #expect(A.check(.view, principal: principal, assignment: nil) == .allowed)
  }

  /// A key without `read` sees no device in lists, but acts on one it names: owner's rights ∩ scopes (CONTRACT §3).
  @Test func aKeyWithoutReadActsOnTheDevicesItNames() {
    let commandOnly = Self.key(APIScopes([.command]), ownerRole: .admin)
    #expect(A.effectiveGrant(commandOnly, assignment: nil) == nil)
    #expect(A.actingGrant(commandOnly, assignment: nil)?.devicePermission == .control)
    #expect(A.check(.control, principal: commandOnly, assignment: nil) == .allowed)
    let adminOnly = Self.key(APIScopes([.admin]), ownerRole: .admin)
    #expect(A.effectiveGrant(adminOnly, assignment: nil) == nil)
    #expect(A.actingGrant(adminOnly, assignment: nil) != nil)
    #expect(A.check(.manage, principal: adminOnly, assignment: nil) == .allowed)
    let memberKey = Self.key(APIScopes([.command]), ownerRole: .member)
    #expect(A.actingGrant(memberKey, assignment: nil) == nil)
  }

  @Test func aKeyNeverSeesDevicesItsOwnerCannot() {
    let principal = Self.key(.all, ownerRole: .member)
    #expect(A.check(.view, principal: principal, assignment: nil) == .denied(.deviceAccess))
    #expect(A.effectiveGrant(principal, assignment: nil) == nil)
    #expect(!A.canSeeDevice(principal, assignment: nil))
  }

  @Test func keyGlobalActions() {
    for scopes in Self.scopeSets {
      for ownerRole in [Role.admin, .member] {
        let principal = Self.key(scopes, ownerRole: ownerRole)
        #expect(A.check(.profile, principal: principal) == .denied(.userOnly))
        #expect(A.check(.manageAPIKeys, principal: principal) == .denied(.userOnly))
        for action in [A.GlobalAction.listDevices, .readCommandLog] {
          #expect(
            A.check(action, principal: principal) == (scopes.contains(.read) ? .allowed : .denied(.missingScope(.read)))
          )
        }
        for action in [A.GlobalAction.createOrDeleteDevice, .discovery, .manageUsers, .readSystem] {
          let expected: A.Decision =
            !scopes.contains(.admin)
            ? .denied(.missingScope(.admin)) : ownerRole == .admin ? .allowed : .denied(.adminRequired)
          #expect(A.check(action, principal: principal) == expected)
        }
      }
    }
  }

  /// The grant a key's device list shows is the owner's, capped by the scopes, and never more than what
  /// `check` allows.
  @Test func keyEffectiveGrantAgreesWithChecks() {
    for scopes in Self.scopeSets {
      for ownerRole in [Role.admin, .member] {
        let principal = Self.key(scopes, ownerRole: ownerRole)
        for grant in Self.grants {
          let effective = A.effectiveGrant(principal, assignment: grant)
          if !scopes.contains(.read) || (ownerRole == .member && grant == nil) {
            #expect(effective == nil)
            continue
          }
          guard let effective else {
            Issue.record("expected a grant for \(scopes.csv) \(ownerRole) \(String(describing: grant))")
            continue
          }
          let base = ownerRole == .admin ? DeviceGrant.full : grant!
          #expect(effective.devicePermission <= base.devicePermission)
          #expect(effective.schedulePermission <= base.schedulePermission)
          // What the effective grant claims, a member holding it could do; the key may do it too.
          for action in A.DeviceAction.allCases where Self.memberMay(action, effective) {
            #expect(A.check(action, principal: principal, assignment: grant) == .allowed, "\(action) \(scopes.csv)")
          }
        }
      }
    }
  }

  @Test func scopeOnlyCheck() {
    #expect(A.checkScope(.command, principal: Self.member) == .allowed)
    #expect(
      A.checkScope(.command, principal: Self.key(APIScopes([.read]), ownerRole: .admin))
        == .denied(.missingScope(.command)))
    #expect(A.checkScope(.schedule, principal: Self.key(.all, ownerRole: .member)) == .allowed)
  }

  @Test func conveniencePredicatesMatchCheck() {
    let grant = DeviceGrant(devicePermission: .control, schedulePermission: .monitoring)
    #expect(A.canSeeDevice(Self.member, assignment: grant))
    #expect(A.canControlDevice(Self.member, assignment: grant))
    #expect(!A.canManageDevice(Self.member, assignment: grant))
    #expect(A.canSeeSchedules(Self.member, assignment: grant))
    #expect(!A.canManageSchedules(Self.member, assignment: grant))
    #expect(A.requiredScope(for: .profile) == nil)
    #expect(A.requiredScope(for: .control) == .command)
  }
}
