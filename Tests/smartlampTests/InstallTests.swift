import Foundation
import TestSupport
import Testing

/// `smartlamp install`/`uninstall` into a temporary root (no privileges needed), and the unit checked by
/// `systemd-analyze verify` when the machine has it.
@Suite struct InstallTests {
  @Test func installWritesTheLayoutKeepsTheConfigAndUninstallKeepsData() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-install")
    let root = dir.path + "/root"
    let first = try CLI.run(["install", "--root", root], in: dir.path)
    #expect(first.status == 0, "\(first.stderr)")
    let unit = try String(contentsOfFile: root + "/etc/systemd/system/smartlamp.service", encoding: .utf8)
    for line in [
      "User=smartlamp", "ExecStart=/usr/local/bin/smartlamp serve --config /etc/smartlamp/config.json",
      "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/smartlamp", "PrivateTmp=yes",
      "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
      #expect(unit.contains("\n" + line + "\n"), "unit has \(line)")
    }
    let printed = try CLI.run(["install", "--print"], in: dir.path)
    #expect(printed.stdout == unit, "--print shows exactly the installed unit")

    let config = root + "/etc/smartlamp/config.json"
    #expect(try HTTPSTests.mode(config) == 0o600)
    #expect(try HTTPSTests.mode(root + "/var/lib/smartlamp") == 0o750)
    #expect(FileManager.default.isExecutableFile(atPath: root + "/usr/local/bin/smartlamp"))
    let settings = try CLI.run(
      [
        "migrate", "--config", config, "--set", "data.dir=\(dir.path)/d",
        "--database-url", "sqlite://\(dir.path)/check.sqlite",
      ], in: dir.path)
    #expect(settings.status == 0, "the written config loads: \(settings.stderr)")

    try #"{"http":{"port":9999}}"#.write(toFile: config, atomically: false, encoding: .utf8)
    try "household".write(toFile: root + "/var/lib/smartlamp/smartlamp.sqlite", atomically: true, encoding: .utf8)
    let again = try CLI.run(["install", "--root", root], in: dir.path)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try String(contentsOfFile: config, encoding: .utf8).contains("9999"), "an existing config is kept")

    let removed = try CLI.run(["uninstall", "--root", root], in: dir.path)
    #expect(removed.status == 0, "\(removed.stderr)")
    #expect(!FileManager.default.fileExists(atPath: root + "/etc/systemd/system/smartlamp.service"))
    #expect(!FileManager.default.fileExists(atPath: root + "/usr/local/bin/smartlamp"))
    #expect(FileManager.default.fileExists(atPath: config))
    #expect(FileManager.default.fileExists(atPath: root + "/var/lib/smartlamp/smartlamp.sqlite"))

    let purged = try CLI.run(["uninstall", "--root", root, "--purge"], in: dir.path)
    #expect(purged.status == 0, "\(purged.stderr)")
    #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/smartlamp"))
    #expect(!FileManager.default.fileExists(atPath: root + "/etc/smartlamp"))
  }

  @Test func theBundledSampleConfigLoads() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-sample")
    let result = try CLI.run(
      [
        "migrate", "--config", repositoryRoot + "/packaging/config.sample.json", "--set", "data.dir=\(dir.path)/d",
        "--database-url", "sqlite://\(dir.path)/sample.sqlite",
      ], in: dir.path)
    #expect(result.status == 0, "\(result.stderr)")
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
  func theUnitPassesSystemdAnalyzeVerify() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-unit")
    let printed = try CLI.run(["install", "--print"], in: dir.path)
    #expect(printed.status == 0)
    // verify insists that ExecStart exists on this machine: point it at the binary under test, nothing else changes.
    let unit = printed.stdout.replacingOccurrences(of: "/usr/local/bin/smartlamp", with: CLI.binary)
    try unit.write(toFile: dir.file("smartlamp.service"), atomically: true, encoding: .utf8)
    let verify = try Tool.run("/usr/bin/systemd-analyze", ["verify", dir.file("smartlamp.service")])
    #expect(verify.status == 0, "\(verify.stderr)")
    #expect(verify.stderr.isEmpty, "no warnings (unknown keys or bad values): \(verify.stderr)")
  }
}
