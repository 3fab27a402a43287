import Foundation
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

/// `smartlamp device list|secret set|secret clear` (issue #11) with the real binary on a real SQLite file: the
/// secret comes from standard input, is stored in `devices.hmac_secret`, and is never printed.
@Suite struct DeviceCLITests {
  @Test func secretSetFromStdinListedAsPresentAndCleared() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-cli")
    #expect(try CLI.run(["migrate"], in: dir.path).status == 0)
    let store = try await Store.openSQLite(path: dir.path + "/data/smartlamp.sqlite")
    _ = try await store.devices.create(
      NewDevice(deviceId: try DeviceID("teras"), mqttDeviceId: try DeviceID("lampu-teras"), name: "Teras"))
    _ = try await store.devices.create(
      NewDevice(deviceId: try DeviceID("odd"), mqttDeviceId: try DeviceID("odd|id"), name: "Odd"))
    try await store.database.close()

    let secret = "f43a301812844e47ab5908ebae902934"
    let set = try CLI.run(["device", "secret", "set", "teras"], in: dir.path, stdin: secret + "\n")
    #expect(set.status == 0, "\(set.stderr)")
    #expect(!set.stdout.contains(secret) && !set.stderr.contains(secret))

    let list = try CLI.run(["device", "list"], in: dir.path)
    #expect(list.status == 0, "\(list.stderr)")
    #expect(!list.stdout.contains(secret))
    let row = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix("teras\t") })
    #expect(row.hasSuffix("\ttrue"))
    #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("odd\t") && $0.hasSuffix("\tfalse") })

    let reopened = try await Store.openSQLite(path: dir.path + "/data/smartlamp.sqlite")
    #expect(try await reopened.devices.byPublicId("teras")?.hmacSecret?.value == secret)
    try await reopened.database.close()

    let short = try CLI.run(["device", "secret", "set", "teras"], in: dir.path, stdin: "short\n")
    #expect(short.status == 2)
    #expect(short.stderr.contains("hmacSecret: must be 16–128 characters"))
    let unknown = try CLI.run(["device", "secret", "set", "nope"], in: dir.path, stdin: secret + "\n")
    #expect(unknown.status == 1 && unknown.stderr.contains("no device with id nope"))
    let unsignable = try CLI.run(["device", "secret", "set", "odd"], in: dir.path, stdin: secret + "\n")
    #expect(unsignable.status == 1 && unsignable.stderr.contains("signed commands need an mqttDeviceId"))
    let empty = try CLI.run(["device", "secret", "set", "teras"], in: dir.path, stdin: "")
    #expect(empty.status != 0)

    let cleared = try CLI.run(["device", "secret", "clear", "teras"], in: dir.path)
    #expect(cleared.status == 0, "\(cleared.stderr)")
    let after = try CLI.run(["device", "list"], in: dir.path)
    #expect(after.stdout.split(separator: "\n").contains { $0.hasPrefix("teras\t") && $0.hasSuffix("\tfalse") })
  }
}
