import SmartLampCore
import Testing

@Suite struct FieldErrorsTests {
  @Test func accumulatesPerField() throws {
    var errors = FieldErrors()
    #expect(errors.isEmpty)
    try errors.throwIfAny()
    errors.add("email", "is required")
    errors.add("email", "again")
    errors.add("name", "too long")
    #expect(errors.messages(for: "email") == ["is required", "again"])
    #expect(errors.errors.count == 2)
    #expect(errors.messages(for: "missing").isEmpty)
    #expect(throws: FieldErrors.self) { try errors.throwIfAny() }
  }
}

@Suite struct ValidationTests {
  @Test(arguments: [
    "a@b.co", "first.last+tag@sub.example.com", "x_y@example.io", "o'brien@example.org", "a@xn--bcher-kva.de",
  ])
  func validEmails(text: String) {
    #expect(Validation.isValidEmail(text))
  }

  @Test(arguments: [
    "", "plain", "@example.com", "a@", "a@b", "a@b.c", "a b@example.com", "a@exa mple.com", "a@@b.co", "a@b@c.co",
    ".a@b.co", "a.@b.co", "a..b@b.co", "a@-b.co", "a@b-.co", "a@b..co", "a@b.c0m", "ä@b.co", "a@bü.co",
    "a\u{0}@b.co", String(repeating: "a", count: 65) + "@b.co",
  ])
  func invalidEmails(text: String) {
    #expect(!Validation.isValidEmail(text))
  }

  @Test func emailFieldTrimsAndReports() {
    var errors = FieldErrors()
    #expect(Validation.email("  a@b.co ", into: &errors) == "a@b.co")
    #expect(Validation.email("nope", into: &errors) == nil)
    #expect(Validation.email(nil, into: &errors) == nil)
    #expect(Validation.email(nil, field: "other", required: false, into: &errors) == nil)
    let label = String(repeating: "d", count: 63)
    let long = String(repeating: "a", count: 64) + "@" + [label, label, label, "co"].joined(separator: ".")
    #expect(Validation.isValidEmail(long))
    #expect(long.count > 255)
    #expect(Validation.email(long, field: "long", into: &errors) == nil)
    #expect(errors.messages(for: "email") == ["must be a valid email address", "is required"])
    #expect(errors.messages(for: "other").isEmpty)
    #expect(errors.messages(for: "long") == ["must be at most 255 characters"])
  }

  @Test func nameRules() {
    var errors = FieldErrors()
    #expect(Validation.name("  Lampu Ruang Tamu  ", into: &errors) == "Lampu Ruang Tamu")
    #expect(Validation.name(String(repeating: "é", count: 255), into: &errors)?.count == 255)
    #expect(errors.isEmpty)
    #expect(Validation.name("   ", field: "blank", into: &errors) == nil)
    #expect(Validation.name(String(repeating: "x", count: 256), field: "long", into: &errors) == nil)
    #expect(Validation.name("a\u{7}b", field: "bell", into: &errors) == nil)
    #expect(Validation.name(nil, field: "absent", required: false, into: &errors) == nil)
    #expect(errors.messages(for: "blank") == ["must not be empty"])
    #expect(errors.messages(for: "long") == ["must be at most 255 characters"])
    #expect(errors.messages(for: "bell") == ["must not contain control characters"])
    #expect(errors.messages(for: "absent").isEmpty)
  }

  @Test(arguments: [(7, false), (8, true), (128, true), (129, false)])
  func passwordLengths(length: Int, valid: Bool) {
    var errors = FieldErrors()
    let value = String(repeating: "p", count: length)
    #expect((Validation.password(value, into: &errors) != nil) == valid)
    #expect(errors.isEmpty == valid)
  }

  @Test func passwordsAreNotTrimmed() {
    var errors = FieldErrors()
    #expect(Validation.password("  secret  ", into: &errors) == "  secret  ")
    #expect(Validation.password(nil, into: &errors) == nil)
    #expect(errors.messages(for: "password") == ["is required"])
  }

  @Test func textLengthsAfterTrimming() {
    var errors = FieldErrors()
    #expect(Validation.text(" ab ", field: "t", lengths: 2...3, into: &errors) == "ab")
    #expect(Validation.text(" a ", field: "short", lengths: 2...3, into: &errors) == nil)
    #expect(errors.messages(for: "short") == ["must be at least 2 characters"])
  }

  @Test func deviceIdChannelAndChoiceFields() {
    var errors = FieldErrors()
    #expect(Validation.deviceID(" lamp-1 ", into: &errors)?.rawValue == "lamp-1")
    #expect(Validation.deviceID("a/b", into: &errors) == nil)
    #expect(Validation.commandChannel("power2", into: &errors)?.name == "POWER2")
    #expect(Validation.commandChannel("POWER99", into: &errors) == nil)
    #expect(
      Validation.choice("control", field: "devicePermission", as: DevicePermission.self, into: &errors) == .control)
    #expect(Validation.choice("root", field: "role", as: Role.self, into: &errors) == nil)
    #expect(errors.messages(for: "deviceId") == ["must not contain '/'"])
    #expect(errors.messages(for: "commandChannel").count == 1)
    #expect(errors.messages(for: "role") == ["must be one of: admin, member"])
  }
}
