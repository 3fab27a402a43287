import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// Byte-exact vectors, round trips, malformed input and random bytes for the packet codec.
@Suite("Packet codec")
struct PacketCodecTests {
  static func bytes(_ packet: MQTTPacket) throws -> [UInt8] {
    Array(try packet.encode().readableBytesView)
  }

  static func decodeAll(_ bytes: [UInt8], maxPacketSize: Int = 1 << 20) throws -> [MQTTPacket] {
    var decoder = MQTTPacketDecoder(maxPacketSize: maxPacketSize)
    var buffer = ByteBuffer(bytes: bytes)
    var packets: [MQTTPacket] = []
    while let packet = try decoder.decode(buffer: &buffer) { packets.append(packet) }
    return packets
  }

  static let vectors: [(MQTTPacket, [UInt8])] = [
    (
      .connect(.init(clientID: "c", cleanSession: true, keepAliveSeconds: 60)),
      [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 1, 0x63]
    ),
    (
      .connect(
        .init(
          clientID: "id", cleanSession: false, keepAliveSeconds: 10, username: "u", password: ByteBuffer(string: "p"),
          will: MQTTWill(topic: "w", payload: "x", qos: .atLeastOnce, retain: true))),
      [
        0x10, 26, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0b1110_1100, 0, 10, 0, 2, 0x69, 0x64, 0, 1, 0x77, 0, 1, 0x78, 0, 1,
        0x75, 0, 1, 0x70,
      ]
    ),
    (.connAck(.init(sessionPresent: true, returnCode: 0)), [0x20, 2, 1, 0]),
    (.connAck(.init(sessionPresent: false, returnCode: 5)), [0x20, 2, 0, 5]),
    (.publish(.init(topic: "a/b", payload: ByteBuffer(string: "hi"))), [0x30, 7, 0, 3, 0x61, 0x2F, 0x62, 0x68, 0x69]),
    (
      .publish(
        .init(
          topic: "t", payload: ByteBuffer(bytes: [0, 0xFF]), qos: .atLeastOnce, retain: true, dup: true, packetID: 10)),
      [0x3B, 7, 0, 1, 0x74, 0, 10, 0, 0xFF]
    ),
    (
      .publish(.init(topic: "t", payload: ByteBuffer(), qos: .exactlyOnce, packetID: 0x1234)),
      [0x34, 5, 0, 1, 0x74, 0x12, 0x34]
    ),
    (.ack(.init(kind: .pubAck, packetID: 1)), [0x40, 2, 0, 1]),
    (.ack(.init(kind: .pubRec, packetID: 2)), [0x50, 2, 0, 2]),
    (.ack(.init(kind: .pubRel, packetID: 3)), [0x62, 2, 0, 3]),
    (.ack(.init(kind: .pubComp, packetID: 4)), [0x70, 2, 0, 4]),
    (
      .subscribe(
        .init(
          packetID: 5,
          filters: [.init(topicFilter: "a/+", qos: .atLeastOnce), .init(topicFilter: "#", qos: .atMostOnce)])),
      [0x82, 12, 0, 5, 0, 3, 0x61, 0x2F, 0x2B, 1, 0, 1, 0x23, 0]
    ),
    (.subAck(.init(packetID: 5, returnCodes: [.atLeastOnce, nil])), [0x90, 4, 0, 5, 1, 0x80]),
    (.unsubscribe(.init(packetID: 6, topicFilters: ["a/+"])), [0xA2, 7, 0, 6, 0, 3, 0x61, 0x2F, 0x2B]),
    (.ack(.init(kind: .unsubAck, packetID: 6)), [0xB0, 2, 0, 6]),
    (.pingReq, [0xC0, 0]),
    (.pingResp, [0xD0, 0]),
    (.disconnect, [0xE0, 0]),
  ]

  @Test("every packet type encodes byte-exactly and decodes back", arguments: 0..<vectors.count)
  func vector(index: Int) throws {
    let (packet, expected) = Self.vectors[index]
    #expect(try Self.bytes(packet) == expected)
    #expect(try Self.decodeAll(expected) == [packet])
  }

  @Test("remaining length uses 1 to 4 bytes at the boundaries")
  func remainingLengthBoundaries() throws {
    for (length, headerBytes) in [(0, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3), (2_097_151, 3), (2_097_152, 4)]
    {
      // A PUBLISH with topic "t" has 3 bytes of variable header.
      let payload = ByteBuffer(repeating: 0x41, count: max(0, length - 3))
      let packet = MQTTPacket.publish(.init(topic: "t", payload: payload))
      let encoded = try packet.encode()
      let bodyLength = max(length, 3)
      #expect(encoded.readableBytes == 1 + ByteBuffer.remainingLengthSize(bodyLength) + bodyLength)
      if length >= 3 { #expect(encoded.readableBytes - bodyLength - 1 == headerBytes) }
      #expect(try Self.decodeAll(Array(encoded.readableBytesView), maxPacketSize: 4 << 20) == [packet])
    }
  }

  @Test("packets split at every byte, and several packets in one read, decode the same")
  func fragmentation() throws {
    let stream = Self.vectors.flatMap(\.1)
    let expected = Self.vectors.map(\.0)
    #expect(try Self.decodeAll(stream) == expected)
    var decoder = MQTTPacketDecoder(maxPacketSize: 1 << 20)
    var buffer = ByteBuffer()
    var packets: [MQTTPacket] = []
    for byte in stream {
      buffer.writeInteger(byte)
      while let packet = try decoder.decode(buffer: &buffer) { packets.append(packet) }
    }
    #expect(packets == expected)
  }

  static let malformed: [(String, [UInt8])] = [
    ("remaining length longer than four bytes", [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ("reserved packet type 0", [0x00, 0]),
    ("reserved packet type 15", [0xF0, 0]),
    ("PUBACK with flags", [0x41, 2, 0, 1]),
    ("SUBSCRIBE without the 0010 flags", [0x80, 6, 0, 1, 0, 1, 0x61, 0]),
    ("PUBREL without the 0010 flags", [0x60, 2, 0, 1]),
    ("PUBLISH QoS 3", [0x36, 5, 0, 1, 0x74, 0, 1]),
    ("DUP on QoS 0", [0x38, 3, 0, 1, 0x74]),
    ("truncated topic string", [0x30, 3, 0, 5, 0x74]),
    ("truncated packet identifier", [0x32, 4, 0, 1, 0x74, 0]),
    ("packet identifier 0", [0x40, 2, 0, 0]),
    ("PUBACK too long", [0x40, 3, 0, 1, 0]),
    ("PINGRESP with a body", [0xD0, 1, 0]),
    ("wildcard in a PUBLISH topic", [0x30, 4, 0, 2, 0x61, 0x23]),
    ("empty PUBLISH topic", [0x30, 2, 0, 0]),
    ("invalid UTF-8 in topic", [0x30, 4, 0, 2, 0xC3, 0x28]),
    ("U+0000 in topic", [0x30, 4, 0, 2, 0x61, 0x00]),
    ("CONNACK reserved flags", [0x20, 2, 2, 0]),
    ("CONNACK unknown return code", [0x20, 2, 0, 6]),
    ("CONNACK session present on refusal", [0x20, 2, 1, 5]),
    ("SUBACK invalid return code", [0x90, 3, 0, 1, 3]),
    ("SUBACK without return codes", [0x90, 2, 0, 1]),
    ("SUBSCRIBE requested QoS 3", [0x82, 6, 0, 1, 0, 1, 0x61, 3]),
    ("SUBSCRIBE reserved option bits", [0x82, 6, 0, 1, 0, 1, 0x61, 0x41]),
    ("SUBSCRIBE without filters", [0x82, 2, 0, 1]),
    ("SUBSCRIBE truncated QoS byte", [0x82, 5, 0, 1, 0, 1, 0x61]),
    ("SUBSCRIBE misplaced #", [0x82, 7, 0, 1, 0, 2, 0x23, 0x61, 0]),
    ("UNSUBSCRIBE without filters", [0xA2, 2, 0, 1]),
    ("CONNECT wrong protocol name", [0x10, 13, 0, 4, 0x4D, 0x51, 0x49, 0x54, 4, 2, 0, 60, 0, 1, 0x63]),
    ("CONNECT protocol level 5", [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 5, 2, 0, 60, 0, 1, 0x63]),
    ("CONNECT reserved flag", [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 3, 0, 60, 0, 1, 0x63]),
    (
      "CONNECT password without user name",
      [0x10, 16, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x42, 0, 60, 0, 1, 0x63, 0, 1, 0x70]
    ),
    ("CONNECT Will QoS without Will", [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x0A, 0, 60, 0, 1, 0x63]),
  ]

  @Test("malformed input is a protocol error", arguments: 0..<malformed.count)
  func rejectsMalformed(index: Int) {
    let (name, bytes) = Self.malformed[index]
    #expect(throws: MQTTError.self, "\(name)") { try Self.decodeAll(bytes) }
  }

  @Test("a packet above the maximum size is rejected from its fixed header alone")
  func oversize() throws {
    // A QoS 1 PUBLISH announcing 2 MiB but carrying nothing: rejected without waiting for (or buffering) the body.
    let header: [UInt8] = [0x32, 0x80, 0x80, 0x80, 0x01]
    #expect(throws: MQTTError.self) { try Self.decodeAll(header, maxPacketSize: 1 << 20) }
    #expect(try Self.decodeAll(header, maxPacketSize: 4 << 20) == [])  // under the limit: just incomplete
    #expect(throws: MQTTError.self) { try Self.decodeAll([0x90, 0x80, 0x80, 0x80, 0x01], maxPacketSize: 1 << 20) }
  }

  @Test("an oversized QoS 0 message is skipped as it streams past, and the next packet decodes")
  func oversizedQoS0IsSkipped() throws {
    let big = MQTTPacket.publish(.init(topic: "a/b", payload: ByteBuffer(repeating: 0x7B, count: 300_000)))
    let small = MQTTPacket.publish(.init(topic: "a/c", payload: ByteBuffer(string: "ON")))
    let stream = try Self.bytes(big) + Self.bytes(small) + Self.bytes(big) + Self.bytes(.pingResp)
    let skipped = Locked([Int]())
    var decoder = MQTTPacketDecoder(maxPacketSize: 1024) { size in skipped.withLock { $0.append(size) } }
    var buffer = ByteBuffer()
    var packets: [MQTTPacket] = []
    // Fed in small reads: the skipped bodies are never held whole.
    for chunk in stride(from: 0, to: stream.count, by: 777) {
      buffer.writeBytes(stream[chunk..<min(chunk + 777, stream.count)])
      while let packet = try decoder.decode(buffer: &buffer) { packets.append(packet) }
      #expect(buffer.readableBytes <= 1024 + 777)
    }
    #expect(packets == [small, .pingResp])
    let bigSize = try Self.bytes(big).count
    #expect(skipped.withLock { $0 } == [bigSize, bigSize])
  }

  @Test("invalid packets are refused on encode")
  func encodeValidation() {
    #expect(throws: MQTTError.self) { try MQTTPacket.publish(.init(topic: "a/#", payload: ByteBuffer())).encode() }
    #expect(throws: MQTTError.self) { try MQTTPacket.publish(.init(topic: "", payload: ByteBuffer())).encode() }
    #expect(throws: MQTTError.self) {
      try MQTTPacket.publish(.init(topic: "t", payload: ByteBuffer(), qos: .atLeastOnce)).encode()
    }
    #expect(throws: MQTTError.self) {
      try MQTTPacket.subscribe(.init(packetID: 1, filters: [.init(topicFilter: "a/b#", qos: .atMostOnce)])).encode()
    }
    #expect(throws: MQTTError.self) {
      try MQTTPacket.connect(.init(clientID: "c", password: ByteBuffer(string: "p"))).encode()
    }
    #expect(throws: MQTTError.self) {
      try MQTTPacket.publish(.init(topic: String(repeating: "x", count: 70_000), payload: ByteBuffer())).encode()
    }
  }

  @Test("random bytes never crash the decoder and never grow past the limit")
  func randomBytes() {
    var generator = SystemRandomNumberGenerator()
    var decoded = 0
    var rejected = 0
    for _ in 0..<20_000 {
      let length = Int.random(in: 0...64, using: &generator)
      var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
      // Bias half the inputs towards valid-looking headers so the body parsers get exercised too.
      if !bytes.isEmpty && Bool.random(using: &generator) {
        bytes[0] = (UInt8.random(in: 1...14, using: &generator) << 4) | (bytes[0] & 0x0F)
        if bytes.count > 1 { bytes[1] = UInt8(bytes.count - 2) & 0x7F }
      }
      do {
        decoded += try Self.decodeAll(bytes, maxPacketSize: 256).count
      } catch {
        rejected += 1
      }
    }
    // Both paths must have been taken, or the test proves nothing.
    #expect(decoded > 0)
    #expect(rejected > 0)
  }

  @Test("round trip of generated packets")
  func roundTrips() throws {
    for index in 0..<500 {
      let qos = MQTTQoS(rawValue: UInt8(index % 3))!
      let payload = ByteBuffer(bytes: (0..<(index * 7 % 300)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
      let packet = MQTTPacket.publish(
        .init(
          topic: "lamp/\(index)/état", payload: payload, qos: qos, retain: index % 2 == 0,
          dup: qos != .atMostOnce && index % 5 == 0,
          packetID: qos == .atMostOnce ? nil : UInt16(index + 1)))
      #expect(try Self.decodeAll(Self.bytes(packet)) == [packet])
    }
  }
}
