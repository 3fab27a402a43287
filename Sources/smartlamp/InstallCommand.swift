import ArgumentParser
import Foundation
import SmartLampServer

#if canImport(Glibc)
  import Glibc
#endif

/// `smartlamp install`: runs SmartLamp as a systemd service — a system user, `/etc/smartlamp/config.json` (0600),
/// `/var/lib/smartlamp`, the binary in `/usr/local/bin` and a hardened unit. Nothing that exists is overwritten
/// except the unit and the binary, so running it again after an upgrade is safe.
struct InstallCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "install", abstract: "Install SmartLamp as a systemd service (run as root).")

  @Flag(help: "Only print the systemd unit (for people who write their own).") var print = false
  @Option(help: "Install under this folder instead of / (packaging and tests; no user is created).")
  var root: String = "/"

  func run() throws {
    let layout = ServiceLayout()
    if print {
      Swift.print(layout.unit, terminator: "")
      return
    }
    let installer = Installer(root: root, layout: layout)
    if installer.isRealRoot, geteuid() != 0 {
      printError("smartlamp: install needs root: sudo smartlamp install (or --print to see the unit)")
      throw ExitCode(1)
    }
    try installer.install()
  }
}

/// `smartlamp uninstall`: stops and removes the service, unit and binary; the config and data stay unless `--purge`.
struct UninstallCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "uninstall", abstract: "Remove the systemd service; keeps the config and data unless --purge.")

  @Flag(help: "Also delete /etc/smartlamp, /var/lib/smartlamp (the database and backups) and the system user.")
  var purge = false
  @Option(help: "Uninstall from under this folder instead of /.") var root: String = "/"

  func run() throws {
    let installer = Installer(root: root, layout: ServiceLayout())
    if installer.isRealRoot, geteuid() != 0 {
      printError("smartlamp: uninstall needs root: sudo smartlamp uninstall")
      throw ExitCode(1)
    }
    try installer.uninstall(purge: purge)
  }
}

/// The file-system and system-account steps, each printed as it happens.
struct Installer {
  let root: String
  let layout: ServiceLayout
  private let files = FileManager.default

  init(root: String, layout: ServiceLayout) {
    self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    self.layout = layout
  }

  var isRealRoot: Bool { root == "/" }
  private func path(_ real: String) -> String { isRealRoot ? real : root + real }
  private var systemdRuns: Bool { isRealRoot && files.fileExists(atPath: "/run/systemd/system") }

  func install() throws {
    if isRealRoot {
      try ensureUser()
    } else {
      Swift.print("skipped the system user \(layout.user) (installing under \(root))")
    }
    try makeDirectory(layout.dataDirectory, mode: 0o750, owned: true)
    try makeDirectory((layout.configFile as NSString).deletingLastPathComponent, mode: 0o755, owned: false)
    let config = path(layout.configFile)
    if files.fileExists(atPath: config) {
      Swift.print("kept \(config)")
    } else {
      try writeFile(config, layout.initialConfig, mode: 0o600, owned: true)
    }
    try installBinary()
    try makeDirectory((layout.unitFile as NSString).deletingLastPathComponent, mode: 0o755, owned: false)
    try writeFile(path(layout.unitFile), layout.unit, mode: 0o644, owned: false)
    if systemdRuns { try run("/bin/systemctl", ["daemon-reload"]) }
    Swift.print(
      """

      Next: edit \(layout.configFile) (broker, HTTPS: see README), then
        sudo systemctl enable --now smartlamp
        journalctl -u smartlamp -f
        sudo -u \(layout.user) \(layout.binary) doctor --config \(layout.configFile)
      """)
  }

  func uninstall(purge: Bool) throws {
    if systemdRuns {
      try? run("/bin/systemctl", ["disable", "--now", "smartlamp"])
    }
    for file in [layout.unitFile, layout.binary] where files.fileExists(atPath: path(file)) {
      try files.removeItem(atPath: path(file))
      Swift.print("removed \(path(file))")
    }
    if systemdRuns { try? run("/bin/systemctl", ["daemon-reload"]) }
    let configDirectory = (layout.configFile as NSString).deletingLastPathComponent
    guard purge else {
      Swift.print("kept \(path(configDirectory)) and \(path(layout.dataDirectory)) (use --purge to delete them)")
      return
    }
    for folder in [configDirectory, layout.dataDirectory] where files.fileExists(atPath: path(folder)) {
      try files.removeItem(atPath: path(folder))
      Swift.print("deleted \(path(folder))")
    }
    if isRealRoot, userExists() { try run("/usr/sbin/userdel", [layout.user]) }
  }

  private func ensureUser() throws {
    guard !userExists() else {
      Swift.print("system user \(layout.user) exists")
      return
    }
    try run(
      "/usr/sbin/useradd",
      [
        "--system", "--user-group", "--home-dir", layout.dataDirectory, "--no-create-home", "--shell",
        "/usr/sbin/nologin", "--comment", "SmartLamp server", layout.user,
      ])
    Swift.print("created system user \(layout.user)")
  }

  private func userExists() -> Bool { getpwnam(layout.user) != nil }

  private func installBinary() throws {
    let target = path(layout.binary)
    let source = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    guard source != target else {
      Swift.print("binary already at \(target)")
      return
    }
    try makeDirectory((layout.binary as NSString).deletingLastPathComponent, mode: 0o755, owned: false)
    // Copy beside, then rename: a running service keeps its old binary until it restarts.
    let temporary = target + ".new"
    try? files.removeItem(atPath: temporary)
    try files.copyItem(atPath: source, toPath: temporary)
    _ = chmod(temporary, 0o755)
    _ = rename(temporary, target)
    Swift.print("installed \(target)")
  }

  private func makeDirectory(_ real: String, mode: Int, owned: Bool) throws {
    let folder = path(real)
    if !files.fileExists(atPath: folder) {
      try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
      Swift.print("created \(folder)")
    }
    _ = chmod(folder, mode_t(mode))
    if owned { try chown(folder) }
  }

  private func writeFile(_ file: String, _ text: String, mode: Int, owned: Bool) throws {
    let temporary = file + ".new"
    try? files.removeItem(atPath: temporary)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
    guard fd >= 0 else { throw ValidationError("cannot write \(file): \(String(cString: strerror(errno)))") }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    _ = fchmod(fd, mode_t(mode))
    close(fd)
    guard written == bytes.count else { throw ValidationError("cannot write \(file)") }
    if owned { try chown(temporary) }
    guard rename(temporary, file) == 0 else { throw ValidationError("cannot write \(file)") }
    Swift.print("wrote \(file) (mode \(String(mode, radix: 8)))")
  }

  /// Gives the service user a file it must write or read secrets from; only for a real install.
  private func chown(_ file: String) throws {
    guard isRealRoot, let account = getpwnam(layout.user) else { return }
    guard Glibc.chown(file, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
      throw ValidationError("cannot give \(file) to \(layout.user): \(String(cString: strerror(errno)))")
    }
  }

  private func run(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ValidationError("\(executable) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus))")
    }
  }
}
