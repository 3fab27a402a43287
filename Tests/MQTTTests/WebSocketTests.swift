import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// WebSocket transport details against a scripted Python `websockets` server.
@Suite("WebSocket transport", .timeLimit(.minutes(3)))
struct WebSocketTests {
  static let server = """
    import asyncio, sys, websockets
    port, echo = int(sys.argv[1]), sys.argv[2] == "echo"
    async def handler(ws):
        print("PATH", ws.request.path, flush=True)
        connect = await ws.recv()
        print("CONNECT", connect[0] == 0x10, flush=True)
        # CONNACK split across two frames: the client must treat frames as a byte stream.
        await ws.send(bytes([0x20, 0x02]))
        await ws.send(bytes([0x00, 0x00]))
        await asyncio.wait_for(await ws.ping(), 5)
        print("PONG", flush=True)
        await ws.close()
        print("CLOSED", flush=True)
    async def main():
        async with websockets.serve(handler, "127.0.0.1", port, subprotocols=["mqtt"] if echo else None):
            print("READY", flush=True)
            await asyncio.Future()
    asyncio.run(main())
    """

  @Test("split frames, ping answered with pong, close frame ends the connection")
  func frames() async throws {
    let port = freePort()
    let server = try PythonPeer.start(Self.server, arguments: ["\(port)", "echo"])
    do {
      try await server.waitForLine("READY")
      var configuration = try MQTTClientConfiguration(url: "ws://127.0.0.1:\(port)/custom", clientID: "ws")
      configuration.reconnect = .disabled
      let client = MQTTClient(configuration: configuration)
      try await client.connect()
      try await server.waitForLine("PONG")
      try await server.waitForLine("CLOSED")
      try await poll("client sees the close") { !client.state.isConnected }
      #expect(server.output.contains("PATH /custom"))
      #expect(server.output.contains("CONNECT True"))
      await client.disconnect()
      await server.stop()
    } catch {
      await server.stop()
      throw error
    }
  }

  @Test("a server that does not echo the mqtt subprotocol is refused")
  func subprotocolChecked() async throws {
    let port = freePort()
    let server = try PythonPeer.start(Self.server, arguments: ["\(port)", "no-echo"])
    do {
      try await server.waitForLine("READY")
      var configuration = try MQTTClientConfiguration(url: "ws://127.0.0.1:\(port)", clientID: "ws")
      configuration.connectTimeout = .seconds(30)  // the refusal comes at once; only a loaded machine is slow
      let client = MQTTClient(configuration: configuration)
      await #expect(throws: MQTTError.transportError("the WebSocket server did not accept the mqtt subprotocol")) {
        try await client.connect()
      }
      await client.disconnect()
      await server.stop()
    } catch {
      await server.stop()
      throw error
    }
  }
}
