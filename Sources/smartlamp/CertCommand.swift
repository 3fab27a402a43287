import ArgumentParser
import Foundation
import SmartLampServer

/// `smartlamp cert`: a local CA (made once) and a server certificate for the names the household's phones use,
/// then how to trust the CA on each kind of device.
struct CertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cert", abstract: "Make a local CA and an HTTPS certificate for this server, and say how to trust it.")

  // Not the shared ConfigOptions: their --host is the HTTP bind address, here it is a name in the certificate.
  @Option(help: "JSON configuration file (also SMARTLAMP_CONFIG); its data.dir decides the default folder.")
  var config: String?
  @Option(name: .customLong("host"), help: "Host name phones will use, e.g. lampu.local (repeatable).")
  var hosts: [String] = []
  @Option(name: .customLong("ip"), help: "IP address phones will use, e.g. 192.168.1.10 (repeatable).")
  var ips: [String] = []
  @Option(help: "Folder for ca.crt, ca.key, server.crt, server.key (default: <data.dir>/tls).")
  var dir: String?

  func run() throws {
    let dataDirectory = (try? ConfigurationLoader(configFile: config).load().dataDirectory) ?? "./data"
    let folder = dir ?? (dataDirectory + "/tls")
    let issued: LocalCertificateAuthority.Issued
    do {
      issued = try LocalCertificateAuthority.issue(folder: folder, hosts: hosts, ips: ips)
    } catch let error as LocalCertificateAuthority.Failure {
      printError("smartlamp: \(error.description)")
      throw ExitCode(2)
    }
    let absolute = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
    let until = ISO8601DateFormatter().string(from: issued.notValidAfter).prefix(10)
    let address = hosts.first ?? ips.first ?? "this-server"
    print(
      """
      \(issued.createdCA ? "made a new local CA" : "reused the local CA"): \(absolute(issued.caCertificateFile))
        SHA-256 fingerprint \(issued.caFingerprintSHA256)
      server certificate (valid until \(until)): \(absolute(issued.certificateFile))
      server key (keep it private, mode 0600): \(absolute(issued.keyFile))

      Serve HTTPS with these settings (config file, --set, or SMARTLAMP_HTTP_TLS_CERT_FILE/..._KEY_FILE):
        "http.tls-cert-file": "\(absolute(issued.certificateFile))"
        "http.tls-key-file": "\(absolute(issued.keyFile))"
      and send SIGHUP (systemctl reload smartlamp) after renewing the certificate.

      Trust the CA once on every device (copy ca.crt to it; ca.key never leaves this machine):
        Android:  Settings > Security > Encryption & credentials > Install a certificate > CA certificate,
                  pick ca.crt. Chrome then trusts https://\(address).
        iPhone/iPad:  open ca.crt (AirDrop, mail or Files) > Settings > Profile Downloaded > Install; then
                  Settings > General > About > Certificate Trust Settings > turn on "SmartLamp home CA".
        Windows (Edge, Chrome):  double-click ca.crt > Install Certificate > Current User >
                  "Trusted Root Certification Authorities".
        macOS (Safari, Chrome):  double-click ca.crt > Keychain Access > login; open it, Trust >
                  "When using this certificate: Always Trust".
        Linux:  sudo cp ca.crt /usr/local/share/ca-certificates/smartlamp.crt && sudo update-ca-certificates;
                  Chrome/Chromium: Settings > Privacy and security > Security > Manage certificates >
                  Authorities > Import.  Firefox (any system): Settings > Privacy & Security > Certificates >
                  View Certificates > Authorities > Import, tick "Trust this CA to identify websites".
      Compare the SHA-256 fingerprint shown on the device with the one above before trusting.
      """)
  }
}
