/// A device's signing secret (`devices.hmac_secret`): commands to a lamp that has one go out as signed envelopes.
///
/// 16–128 characters of printable ASCII without spaces (`!` … `~`), so that the same bytes can be typed into the
/// firmware's configuration and read from one line of standard input without ambiguity. The upstream schema puts
/// `unused-tasmota` into every new row; that value and the empty string mean "no secret" (``init(stored:)``).
/// The value never appears in a description, so a device logged by accident does not leak it, and equality is
/// computed in constant time.
public struct DeviceSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
  /// The secret itself; use it only to sign and to store.
  public let value: String

  public static let lengths = 16...128
  /// What upstream writes into `hmac_secret` for devices without a secret.
  public static let upstreamPlaceholder = "unused-tasmota"

  public enum Problem: Error, Sendable, Hashable {
    case length, characters

    public var message: String {
      switch self {
      case .length: "must be 16–128 characters"
      case .characters: "must be printable ASCII without spaces"
      }
    }
  }

  public init(_ text: String) throws(Problem) {
    guard Self.lengths.contains(text.utf8.count) else { throw .length }
    guard text.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else { throw .characters }
    value = text
  }

  /// Reads the stored column: NULL, empty and `unused-tasmota` are no secret. A stored value that breaks today's
  /// rules (written by another tool) is still used as the key: refusing it would silently send plain commands.
  public init?(stored: String?) {
    guard let stored, !stored.isEmpty, stored != Self.upstreamPlaceholder else { return nil }
    value = stored
  }

  /// The key bytes: the UTF-8 bytes of the secret (the firmware's convention).
  public var keyBytes: [UInt8] { Array(value.utf8) }

  public var description: String { "DeviceSecret(redacted)" }
  public var debugDescription: String { description }

  /// Constant-time in the length of the longer value: no early exit on the first differing byte.
  public static func == (lhs: DeviceSecret, rhs: DeviceSecret) -> Bool {
    constantTimeEqual(Array(lhs.value.utf8), Array(rhs.value.utf8))
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(value.utf8.count)
  }

  /// Compares two byte strings without branching on their contents.
  public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    var difference = UInt(lhs.count ^ rhs.count)
    let count = max(lhs.count, rhs.count)
    for index in 0..<count {
      let a = index < lhs.count ? lhs[index] : 0
      let b = index < rhs.count ? rhs[index] : 0
      difference |= UInt(a ^ b)
    }
    return difference == 0
  }
}
