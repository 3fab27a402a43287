import Foundation
import SmartLampCore
import Testing

@Suite struct RoleTests {
  @Test(arguments: [
    ("admin", Role.admin), ("ADMIN", .admin), (" Admin ", .admin), ("member", .member), ("owner", .member),
    ("", .member), ("administrator", .member),
  ])
  func storedRoleParsing(text: String, expected: Role) {
    #expect(Role(storedValue: text) == expected)
  }

  @Test func strictParsingOnlyAcceptsExactNames() {
    #expect(Role(strict: "admin") == .admin)
    #expect(Role(strict: "member") == .member)
    #expect(Role(strict: "Admin") == nil)
    #expect(Role(strict: "owner") == nil)
  }
}

@Suite struct PermissionTests {
  @Test func devicePermissionsAreOrdered() {
    #expect(DevicePermission.monitoring < .control)
    #expect(DevicePermission.control < .manage)
    #expect(DevicePermission.allCases.sorted() == [.monitoring, .control, .manage])
    #expect(DevicePermission.manage >= .control)
    #expect(!(DevicePermission.monitoring >= .control))
  }

  @Test func schedulePermissionsAreOrdered() {
    #expect(SchedulePermission.allCases.sorted() == [.none, .monitoring, .manage])
  }

  @Test(arguments: DevicePermission.allCases, SchedulePermission.allCases)
  func validCombinationRule(device: DevicePermission, schedule: SchedulePermission) throws {
    let expected = !(schedule == .manage && device == .monitoring)
    #expect(DeviceGrant.isValidCombination(device, schedule) == expected)
    #expect(DeviceGrant(devicePermission: device, schedulePermission: schedule).isValid == expected)
    if expected {
      #expect(try DeviceGrant.validated(device: device, schedule: schedule).devicePermission == device)
    } else {
      #expect(throws: GrantError.scheduleManageRequiresControl) {
        try DeviceGrant.validated(device: device, schedule: schedule)
      }
    }
  }

  @Test func rawValuesMatchTheStoredNames() {
    #expect(DevicePermission.allCases.map(\.rawValue) == ["monitoring", "control", "manage"])
    #expect(SchedulePermission.allCases.map(\.rawValue) == ["none", "monitoring", "manage"])
    #expect(DevicePermission(rawValue: "Manage") == nil)
  }
}

@Suite struct APIScopeTests {
  @Test func csvRoundTrip() {
    let scopes = APIScopes([.command, .read])
    #expect(scopes.csv == "read,command")
    #expect(APIScopes(csv: "read,command") == scopes)
    #expect(APIScopes(csv: " READ , command ,bogus") == scopes)
    #expect(APIScopes(csv: "").scopes.isEmpty)
  }

  @Test func wildcardGrantsEverything() {
    let all = APIScopes(csv: "read,*")
    #expect(all.isWildcard)
    #expect(all.csv == "*")
    #expect(all.names == ["*"])
    for scope in APIScope.allCases { #expect(all.contains(scope)) }
    #expect(APIScopes.all == all)
  }

  @Test func strictParsing() {
    #expect(APIScopes.parse(["read", "schedule"]) == .success(APIScopes([.read, .schedule])))
    #expect(APIScopes.parse(["*"]) == .success(.all))
    #expect(APIScopes.parse([]) == .failure(.empty))
    #expect(APIScopes.parse(["read", "write"]) == .failure(.unknown("write")))
  }

  @Test func upstreamScheduleScopeIsKnown() {
    #expect(APIScopes(csv: "read,command,schedule").contains(.schedule))
    #expect(!APIScopes(csv: "read,command,schedule").contains(.admin))
  }
}

@Suite struct PowerTests {
  @Test(arguments: [("ON", PowerAction.on), ("on", .on), (" Off ", .off), ("OFF", .off)])
  func actionParsing(text: String, expected: PowerAction) {
    #expect(PowerAction(parsing: text) == expected)
  }

  @Test(arguments: ["", "TOGGLE", "1", "onn", "O N"])
  func invalidActions(text: String) {
    #expect(PowerAction(parsing: text) == nil)
  }

  @Test func states() {
    #expect(PowerState(storedValue: "on") == .on)
    #expect(PowerState(storedValue: "OFF") == .off)
    #expect(PowerState(storedValue: "weird") == .unknown)
    #expect(PowerAction.on.powerState == .on)
    #expect(PowerAction.off.powerState == .off)
  }
}

@Suite struct CommandChannelTests {
  @Test func everyValidChannelParsesAndRoundTrips() throws {
    #expect(try CommandChannel(parsing: "POWER") == .power)
    #expect(try CommandChannel(parsing: "power").name == "POWER")
    for n in 1...32 {
      let channel = try CommandChannel(parsing: "Power\(n)")
      #expect(channel.index == n)
      #expect(channel.name == "POWER\(n)")
      #expect(try CommandChannel(parsing: channel.name) == channel)
      #expect(try CommandChannel(index: n) == channel)
    }
  }

  @Test(arguments: [
    "", "POW", "POWER0", "POWER33", "POWER01", "POWER-1", "POWER+1", " POWER", "POWER ", "POWER1a", "POWER100",
    "RELAY1", "POWER１", "POWERⅠ",
  ])
  func invalidChannels(text: String) {
    #expect(throws: CommandChannelError.invalid(text)) { try CommandChannel(parsing: text) }
  }

  @Test func indexBounds() throws {
    #expect(throws: CommandChannelError.self) { try CommandChannel(index: -1) }
    #expect(throws: CommandChannelError.self) { try CommandChannel(index: 33) }
    #expect(CommandChannel.power.relay == 1)
    #expect(try CommandChannel(index: 3).relay == 3)
    #expect(CommandChannel.power < (try CommandChannel(index: 1)))
  }

  @Test func codableUsesTheName() throws {
    let data = try JSONEncoder().encode([try CommandChannel(index: 2)])
    #expect(String(decoding: data, as: UTF8.self) == #"["POWER2"]"#)
    #expect(try JSONDecoder().decode([CommandChannel].self, from: Data(#"["power7"]"#.utf8)).first?.index == 7)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode([CommandChannel].self, from: Data(#"["X"]"#.utf8)) }
  }
}

@Suite struct DeviceIDTests {
  @Test(arguments: ["lampu-ruang-tamu", "a", "tasmota_AB12CD", "Küche.💡", String(repeating: "x", count: 191)])
  func validIds(text: String) throws {
    #expect(try DeviceID(text).rawValue == text)
    #expect(DeviceID.problem(in: text) == nil)
  }

  @Test(arguments: [
    ("", DeviceIDError.empty), (String(repeating: "x", count: 192), .tooLong), ("a+b", .mqttWildcard),
    ("a#", .mqttWildcard), ("a/b", .slash), ("a b", .whitespaceOrControl), ("a\tb", .whitespaceOrControl),
    ("a\nb", .whitespaceOrControl), ("a\u{0}b", .whitespaceOrControl), ("a\u{7f}b", .whitespaceOrControl),
    ("a\u{200b}b", .whitespaceOrControl), ("a\u{a0}b", .whitespaceOrControl), ("a\u{2028}b", .whitespaceOrControl),
  ])
  func invalidIds(text: String, expected: DeviceIDError) {
    #expect(throws: expected) { try DeviceID(text) }
    #expect(!expected.message.isEmpty)
  }

  @Test func lengthCountsCharactersNotBytes() throws {
    let emoji = String(repeating: "💡", count: 191)
    #expect(try DeviceID(emoji).rawValue.count == 191)
  }

  @Test func codable() throws {
    let id = try DeviceID("lamp-1")
    #expect(String(decoding: try JSONEncoder().encode([id]), as: UTF8.self) == #"["lamp-1"]"#)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode([DeviceID].self, from: Data(#"["a/b"]"#.utf8)) }
  }
}

@Suite struct PrincipalTests {
  @Test func keysAndEffectiveUser() {
    let user = Principal.user(UserPrincipal(id: 7, email: "a@b.co", name: "A", role: .member))
    let key = Principal.apiKey(
      APIKeyPrincipal(clientId: 3, name: "ha", scopes: .all, ownerUserId: 7, ownerRole: .member))
    let orphan = Principal.apiKey(
      APIKeyPrincipal(clientId: 4, name: "x", scopes: .all, ownerUserId: nil, ownerRole: nil))
    #expect(user.key == "user:7")
    #expect(key.key == "client:3")
    #expect(user.effectiveUserId == 7)
    #expect(key.effectiveUserId == 7)
    #expect(orphan.effectiveUserId == nil)
  }
}
