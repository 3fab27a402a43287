import Foundation
import SmartLampCore
import Tasmota
import Testing

@testable import SmartLampServer

/// The byte writer against Foundation's encoder, the one it replaces for the bootstrap: over strings that need
/// every kind of escape, unicode, nulls and extreme integers, both must write the same keys with the same bytes for
/// every value. Key order is compared after sorting: Foundation on Linux writes members in hash order, which
/// changes between processes, while the writer keeps declaration order (checked on its own).
@Suite struct JSONByteWriterTests {
  static let awkwardStrings: [String] = [
    "", "Lampu Teras", "quote \" and backslash \\ and slash / and </script>",
    String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }), "del \u{7F} end",
    "Dapur — lampu 💡 灯 ٱلْمِصْبَاح", "e\u{301} composed é", "line\u{2028}para\u{2029}end", "tab\tnew\nret\r",
    "\u{0}", "emoji family 👨‍👩‍👧 flag 🇮🇩", String(repeating: "x\"", count: 300),
  ]
  static let awkwardIntegers: [Int64?] = [nil, 0, 1, -1, 9, 10, 1_700_000_000_123, Int64.max, Int64.min, -10]

  static func device(_ index: Int) -> DeviceJSON {
    let strings = awkwardStrings
    let integers = awkwardIntegers
    func text(_ offset: Int) -> String { strings[(index + offset) % strings.count] }
    return DeviceJSON(
      id: text(0), name: text(1), location: index % 3 == 0 ? nil : text(2), commandChannel: text(3),
      mqttDeviceId: text(4), devicePermission: text(5), schedulePermission: text(6),
      profile: index % 2 == 0 ? nil : text(7), hasSecret: index % 2 == 1, commandTopic: text(8),
      lastSeenAt: integers[index % integers.count], onlineChangedAt: integers[(index + 3) % integers.count])
  }

  @Test(arguments: 0..<24)
  func aDeviceIsWrittenAsFoundationWritesIt(index: Int) throws {
    let device = Self.device(index)
    var writer = JSONByteWriter()
    device.write(to: &writer)
    let foundation = try EnvelopeResponse.encoder.encode(device)
    #expect(try Canonical.sorted(writer.bytes) == Canonical.sorted(Array(foundation)))
  }

  /// A visible device and its live state as the bootstrap writes them, every string and number awkward (the
  /// wire id goes into the command topic).
  static func visible(_ index: Int) throws -> (device: LampDevice, grant: DeviceGrant, live: LiveDevice?) {
    let strings = awkwardStrings
    let integers = awkwardIntegers
    func text(_ offset: Int) -> String { strings[(index + offset) % strings.count] }
    let device = LampDevice(
      id: Int64(index), deviceId: text(0), mqttDeviceId: text(4), name: text(1),
      location: index % 3 == 0 ? nil : text(2), channel: TasmotaChannel.normalised("POWER\(index % 4)"),
      createdAt: "", secret: index % 5 == 1 ? try DeviceSecret("f43a301812844e47ab5908ebae902934") : nil)
    let grant = DeviceGrant(
      devicePermission: DevicePermission.allCases[index % 3], schedulePermission: SchedulePermission.allCases[index % 3]
    )
    let live =
      index % 4 == 0
      ? nil
      : LiveDevice(
        profile: index % 2 == 0 ? nil : .native, wireID: index % 3 == 0 ? nil : text(8),
        onlineChangedAt: integers[(index + 3) % integers.count], lastSeenAt: integers[index % integers.count],
        order: index % 2 == 0 ? .prefixFirst : .topicFirst)
    return (device, grant, live)
  }

  @Test func theBootstrapEnvelopeIsWrittenAsFoundationWritesIt() throws {
    let viewer: JSONValue = [
      "kind": "user", "id": .int(Int.max), "name": .string(Self.awkwardStrings[3]), "email": "a\"b@example.com",
      "role": "member", "nested": [.null, true, false, .int(-7), .double(0.1), .double(1), .double(1e300), [:], []],
    ]
    for count in [0, 1, 20] {
      let visible = try (0..<count).map(Self.visible)
      let payload = BootstrapRoutes.Payload(
        devices: visible.map { ($0.device, $0.grant) }, live: visible.map(\.live), viewer: viewer)
      let envelope = Envelope(
        success: true, data: payload, error: nil,
        meta: Envelope<BootstrapRoutes.Payload>.meta(requestID: Self.awkwardStrings[2]))
      var writer = JSONByteWriter()
      try envelope.write(to: &writer)
      let foundation = try EnvelopeResponse.encoder.encode(envelope)
      #expect(try Canonical.sorted(writer.bytes) == Canonical.sorted(Array(foundation)))
      #expect(String(decoding: writer.bytes, as: UTF8.self).hasPrefix(#"{"success":true,"data":{"devices":["#))
    }
  }

  /// A device written straight from its values is byte for byte the ``DeviceJSON`` made of them.
  @Test(arguments: 0..<24)
  func aVisibleDeviceIsWrittenAsItsDeviceJSON(index: Int) throws {
    let (device, grant, live) = try Self.visible(index)
    var direct = JSONByteWriter()
    DeviceJSON.write(device, grant: grant, live: live, to: &direct)
    var made = JSONByteWriter()
    DeviceJSON(device, grant: grant, live: live).write(to: &made)
    #expect(direct.bytes == made.bytes)
  }

  /// Every ASCII character at every position of a 17-byte string (two whole words and a tail for the eight-byte
  /// scan), and after multi-byte characters: written as Foundation writes it.
  @Test func everyASCIICharacterAtEveryPositionIsWrittenAsFoundationWritesIt() throws {
    for scalar in 0..<128 {
      for position in 0..<17 {
        for prefix in ["", "é", "💡"] {
          var characters = Array(repeating: Character("a"), count: 17)
          characters[position] = Character(Unicode.Scalar(UInt8(scalar)))
          let text = prefix + String(characters)
          var writer = JSONByteWriter()
          writer.string(text)
          #expect(writer.bytes == Array(try EnvelopeResponse.encoder.encode(text)), "\(scalar) at \(position)")
        }
      }
    }
  }

  /// The eight-at-a-time search agrees with the byte rule on random bytes, non-ASCII ones included.
  @Test func theWordSearchAgreesWithTheByteRule() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      let length = Int.random(in: 0...40, using: &generator)
      let bytes = (0..<length).map { _ in
        // Mostly bytes that need nothing, so that a single one needing an escape is often the only one.
        Bool.random(using: &generator)
          ? UInt8.random(in: 0x23...0x5B, using: &generator) : UInt8.random(in: 0...255, using: &generator)
      }
      let found = bytes.withUnsafeBufferPointer { JSONByteWriter.needsEscape($0) }
      #expect(found == bytes.contains(where: JSONByteWriter.needsEscape), "\(bytes)")
    }
  }

  /// Integers of every length (the writer makes digits in a 20-byte scratch) and buffers that must grow.
  @Test func integersOfEveryLengthAndGrowingBuffers() {
    var values: [Int64] = [0, Int64.max, Int64.min, Int64.min + 1]
    var power: Int64 = 1
    for _ in 0..<18 {
      power *= 10
      values += [power - 1, power, power + 1, -power]
    }
    var writer = JSONByteWriter(capacity: 1)
    for value in values {
      writer.int(value)
      writer.raw(",")
    }
    writer.int(UInt64.max)
    let expected = values.map { String($0) + "," }.joined() + String(UInt64.max)
    #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
    #expect(writer.buffer.readableBytes == expected.utf8.count)
  }

  @Test func anErrorEnvelopeIsWrittenAsFoundationWritesIt() throws {
    let envelope = Envelope<BootstrapRoutes.Payload>(
      success: false, data: nil,
      error: .init(code: "VALIDATION_ERROR", message: Self.awkwardStrings[4], details: ["field": "name\n"]),
      meta: Envelope<BootstrapRoutes.Payload>.meta(requestID: "r-1"))
    var writer = JSONByteWriter()
    try envelope.write(to: &writer)
    let foundation = try EnvelopeResponse.encoder.encode(envelope)
    #expect(try Canonical.sorted(writer.bytes) == Canonical.sorted(Array(foundation)))
  }

  @Test func aDeviceKeepsItsDeclaredKeyOrder() {
    var writer = JSONByteWriter()
    Self.device(0).write(to: &writer)
    let keys = [
      "id", "name", "location", "commandChannel", "mqttDeviceId", "devicePermission",
      "schedulePermission", "profile", "hasSecret", "commandTopic", "lastSeenAt", "onlineChangedAt",
    ]
    let text = String(decoding: writer.bytes, as: UTF8.self)
    let positions = keys.map { text.range(of: "\"\($0)\":")?.lowerBound }
    #expect(positions.allSatisfy { $0 != nil })
    #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
  }

  @Test func notANumberIsRefusedLikeFoundationRefusesIt() {
    var writer = JSONByteWriter()
    #expect(throws: (any Error).self) { try writer.value(.double(.nan)) }
    #expect(throws: (any Error).self) { try EnvelopeResponse.encoder.encode(JSONValue.double(.nan)) }
  }
}

/// Compact JSON re-written with every object's members sorted by their raw key bytes, every scalar's bytes kept as
/// they were: two texts are equal here exactly when they hold the same keys and spell every value alike.
enum Canonical {
  struct Malformed: Error { let offset: Int }

  static func sorted(_ bytes: [UInt8]) throws -> [UInt8] {
    var index = 0
    let value = try parse(bytes, &index)
    guard index == bytes.count else { throw Malformed(offset: index) }
    return value
  }

  private static func parse(_ bytes: [UInt8], _ index: inout Int) throws -> [UInt8] {
    guard index < bytes.count else { throw Malformed(offset: index) }
    switch bytes[index] {
    case UInt8(ascii: "{"):
      index += 1
      var members: [([UInt8], [UInt8])] = []
      while bytes[index] != UInt8(ascii: "}") {
        if !members.isEmpty { try expect(UInt8(ascii: ","), bytes, &index) }
        let key = try string(bytes, &index)
        try expect(UInt8(ascii: ":"), bytes, &index)
        members.append((key, try parse(bytes, &index)))
      }
      index += 1
      let sorted = members.sorted { $0.0.lexicographicallyPrecedes($1.0) }
      return [UInt8(ascii: "{")] + Array(sorted.map { $0.0 + [UInt8(ascii: ":")] + $0.1 }.joined(separator: [44]))
        + [UInt8(ascii: "}")]
    case UInt8(ascii: "["):
      index += 1
      var elements: [[UInt8]] = []
      while bytes[index] != UInt8(ascii: "]") {
        if !elements.isEmpty { try expect(UInt8(ascii: ","), bytes, &index) }
        elements.append(try parse(bytes, &index))
      }
      index += 1
      return [UInt8(ascii: "[")] + Array(elements.joined(separator: [44])) + [UInt8(ascii: "]")]
    case UInt8(ascii: "\""):
      return try string(bytes, &index)
    default:
      let start = index
      while index < bytes.count, !",]}".utf8.contains(bytes[index]) { index += 1 }
      return Array(bytes[start..<index])
    }
  }

  private static func string(_ bytes: [UInt8], _ index: inout Int) throws -> [UInt8] {
    let start = index
    try expect(UInt8(ascii: "\""), bytes, &index)
    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
      index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
    }
    try expect(UInt8(ascii: "\""), bytes, &index)
    return Array(bytes[start..<index])
  }

  private static func expect(_ byte: UInt8, _ bytes: [UInt8], _ index: inout Int) throws {
    guard index < bytes.count, bytes[index] == byte else { throw Malformed(offset: index) }
    index += 1
  }
}
