import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// Interop with paho-mqtt (Python), an independent client on the other side of Mosquitto.
@Suite("paho-mqtt interop", .timeLimit(.minutes(3)))
struct PahoInteropTests {
  /// Every byte value, then a pseudo-random tail: arbitrary binary payloads must pass untouched.
  static let payload: [UInt8] = Array(0...255) + (0..<2000).map { UInt8(truncatingIfNeeded: ($0 &* 7919) ^ ($0 >> 3)) }

  static let pahoPublisher = """
    import sys, binascii, paho.mqtt.client as mqtt
    port, topic, hexpayload, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    transport = sys.argv[6]
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="paho-pub", transport=transport)
    if transport == "websockets":
        c.ws_set_options(path="/mqtt")
    c.username_pw_set(user, password)
    c.connect("127.0.0.1", port)
    c.loop_start()
    info = c.publish(topic, binascii.unhexlify(hexpayload), qos=1)
    info.wait_for_publish(10)
    print("PUBLISHED" if info.is_published() else "FAILED")
    c.disconnect()
    c.loop_stop()
    """

  static let pahoSubscriber = """
    import sys, binascii, threading, paho.mqtt.client as mqtt
    port, topic, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    done = threading.Event()
    def on_connect(c, userdata, flags, rc, props):
        c.subscribe(topic, qos=1)
    def on_subscribe(c, userdata, mid, codes, props):
        print("READY", flush=True)
    def on_message(c, userdata, msg):
        print("QOS", msg.qos, flush=True)
        print("PAYLOAD", binascii.hexlify(msg.payload).decode(), flush=True)
        done.set()
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="paho-sub")
    c.username_pw_set(user, password)
    c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
    c.connect("127.0.0.1", port)
    c.loop_start()
    ok = done.wait(15)
    c.disconnect()
    c.loop_stop()
    sys.exit(0 if ok else 1)
    """

  static func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(($0 >> 4), radix: 16) + String($0 & 0x0F, radix: 16) }.joined()
  }

  @Test("paho publishes arbitrary bytes, our client receives them exactly", arguments: ["tcp", "websockets"])
  func pahoToUs(pahoTransport: String) async throws {
    try await MosquittoBroker.with { broker in
      let topic = uniqueTopic("interop")
      try await withClient(try broker.configuration(.tcp)) { client in
        let inbox = Inbox(try await client.subscribe([topic], qos: .atLeastOnce))
        let port = pahoTransport == "tcp" ? broker.tcpPort : broker.wsPort
        let result = try await PythonPeer.run(
          Self.pahoPublisher,
          arguments: ["\(port)", topic, Self.hex(Self.payload), broker.username!, broker.password!, pahoTransport])
        #expect(result.exitCode == 0, "\(result.errors)")
        #expect(result.output.contains("PUBLISHED"))
        let message = try await inbox.wait { $0.topic == topic }
        #expect(Array(message.payload.readableBytesView) == Self.payload)
        #expect(message.qos == .atLeastOnce)
      }
    }
  }

  @Test(
    "our client publishes arbitrary bytes, paho receives them exactly", arguments: MosquittoBroker.Transport.allCases)
  func usToPaho(transport: MosquittoBroker.Transport) async throws {
    try await MosquittoBroker.with { broker in
      let topic = uniqueTopic("interop")
      let paho = try PythonPeer.start(
        Self.pahoSubscriber, arguments: ["\(broker.tcpPort)", topic, broker.username!, broker.password!])
      do {
        try await paho.waitForLine("READY")
        try await withClient(try broker.configuration(transport)) { client in
          try await client.publish(topic: topic, payload: ByteBuffer(bytes: Self.payload), qos: .atLeastOnce)
        }
        let exitCode = await paho.waitForExit()
        #expect(exitCode == 0, "\(paho.errors)")
        #expect(paho.output.contains("PAYLOAD \(Self.hex(Self.payload))"))
        #expect(paho.output.contains("QOS 1"))
      } catch {
        await paho.stop()
        throw error
      }
    }
  }
}
