import Crypto
import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
  import Glibc
#endif

/// `smartlamp cert`: a household's own certificate authority and a server certificate it signs, so phones and
/// browsers trust `https://lampu.local` once the CA is installed on them. The CA is made once and reused, so
/// renewing the server certificate does not mean installing a new CA on every phone.
public enum LocalCertificateAuthority {
  public struct Issued: Sendable {
    public let caCertificateFile: String
    public let certificateFile: String
    public let keyFile: String
    public let createdCA: Bool
    public let notValidAfter: Date
    public let caFingerprintSHA256: String
  }

  public struct Failure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
  }

  /// Apple platforms refuse TLS server certificates valid for longer than 825 days, even from a private CA.
  public static let serverValidityDays = 825
  static let caValidityDays = 3650

  /// Writes `ca.crt`/`ca.key` (when absent) and `server.crt`/`server.key` into `folder`; keys are mode 0600.
  public static func issue(folder: String, hosts: [String], ips: [String], now: Date = Date()) throws -> Issued {
    var names: [GeneralName] = []
    for host in hosts {
      let host = host.trimmingCharacters(in: .whitespaces).lowercased()
      guard !host.isEmpty, host.count <= 253,
        host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
      else { throw Failure("--host '\(host)' is not a host name like lampu.local") }
      names.append(.dnsName(host))
    }
    for ip in ips {
      guard let bytes = IPMatcher.bytes(of: ip) else { throw Failure("--ip '\(ip)' is not an IP address") }
      names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
    }
    guard !names.isEmpty else { throw Failure("give at least one --host or --ip the phones will use") }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

    let caCertFile = folder + "/ca.crt"
    let caKeyFile = folder + "/ca.key"
    let (ca, caKey, createdCA) = try loadOrCreateCA(certFile: caCertFile, keyFile: caKeyFile, now: now)

    let key = P256.Signing.PrivateKey()
    let notAfter = now.addingTimeInterval(Double(serverValidityDays) * 86_400)
    let subjectName = hosts.first ?? ips.first ?? "smartlamp"
    let certificate = try Certificate(
      version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
      notValidBefore: now.addingTimeInterval(-3600), notValidAfter: notAfter, issuer: ca.subject,
      subject: try DistinguishedName {
        OrganizationName("SmartLamp")
        CommonName(subjectName)
      },
      signatureAlgorithm: .ecdsaWithSHA256,
      extensions: try Certificate.Extensions {
        Critical(BasicConstraints.notCertificateAuthority)
        Critical(KeyUsage(digitalSignature: true))
        try ExtendedKeyUsage([.serverAuth])
        SubjectAlternativeNames(names)
        SubjectKeyIdentifier(keyIdentifier: keyIdentifier(key.publicKey))
        AuthorityKeyIdentifier(keyIdentifier: keyIdentifier(caKey.publicKey))
      },
      issuerPrivateKey: .init(caKey))
    let certificateFile = folder + "/server.crt"
    let keyFile = folder + "/server.key"
    try write(key.pemRepresentation, to: keyFile, mode: 0o600)
    // The chain a client needs besides its trusted CA: the server certificate, then the CA.
    try write(
      try certificate.serializeAsPEM().pemString + "\n" + (try ca.serializeAsPEM().pemString) + "\n",
      to: certificateFile, mode: 0o644)
    var serializer = DER.Serializer()
    try serializer.serialize(ca)
    let fingerprint = SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02X", $0) }.joined(
      separator: ":")
    return Issued(
      caCertificateFile: caCertFile, certificateFile: certificateFile, keyFile: keyFile, createdCA: createdCA,
      notValidAfter: notAfter, caFingerprintSHA256: fingerprint)
  }

  private static func loadOrCreateCA(certFile: String, keyFile: String, now: Date) throws -> (
    Certificate, P256.Signing.PrivateKey, Bool
  ) {
    let manager = FileManager.default
    if manager.fileExists(atPath: certFile) || manager.fileExists(atPath: keyFile) {
      do {
        let certificate = try Certificate(pemEncoded: String(contentsOfFile: certFile, encoding: .utf8))
        let key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: keyFile, encoding: .utf8))
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
          throw Failure("\(keyFile) does not belong to \(certFile)")
        }
        return (certificate, key, false)
      } catch let error as Failure {
        throw error
      } catch {
        throw Failure("cannot reuse the CA in \(certFile)/\(keyFile): \(error); move them away to make a new one")
      }
    }
    let key = P256.Signing.PrivateKey()
    let name = try DistinguishedName {
      OrganizationName("SmartLamp")
      CommonName("SmartLamp home CA \(Int(now.timeIntervalSince1970))")
    }
    let certificate = try Certificate(
      version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
      notValidBefore: now.addingTimeInterval(-3600),
      notValidAfter: now.addingTimeInterval(Double(caValidityDays) * 86_400), issuer: name, subject: name,
      signatureAlgorithm: .ecdsaWithSHA256,
      extensions: try Certificate.Extensions {
        Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
        Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
        SubjectKeyIdentifier(keyIdentifier: keyIdentifier(key.publicKey))
      },
      issuerPrivateKey: .init(key))
    try write(key.pemRepresentation, to: keyFile, mode: 0o600)
    try write(try certificate.serializeAsPEM().pemString + "\n", to: certFile, mode: 0o644)
    return (certificate, key, true)
  }

  /// RFC 5280 method 1: SHA-1 of the public key bits.
  private static func keyIdentifier(_ key: P256.Signing.PublicKey) -> ArraySlice<UInt8> {
    ArraySlice(Insecure.SHA1.hash(data: key.x963Representation))
  }

  /// Creates the file with its final mode (never readable by others, even for a moment) and writes `text`.
  static func write(_ text: String, to path: String, mode: Int) throws {
    _ = unlink(path)
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
    guard fd >= 0 else { throw Failure("cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
      let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      guard count > 0 else { throw Failure("cannot write \(path): \(String(cString: strerror(errno)))") }
      written += count
    }
    _ = fchmod(fd, mode_t(mode))  // the umask may have narrowed it
  }

  /// When the first certificate in a PEM file stops being valid (for `smartlamp doctor`).
  public static func expiry(ofPEMFile path: String) throws -> Date {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    guard let end = text.range(of: "-----END CERTIFICATE-----") else {
      throw Failure("\(path) holds no PEM certificate")
    }
    return try Certificate(pemEncoded: String(text[..<end.upperBound])).notValidAfter
  }
}
