import NIOCore
import NIOPosix
import TestSupport

@testable import MQTT

/// A scripted broker on a real loopback socket: the test reads what the client sent and decides what to answer,
/// packet by packet, to drive cases a real broker will not produce on demand (lost acks, refusals, silence).
final class FakeBroker: Sendable {
  let port: Int
  private let serverChannel: any Channel
  private let accepted: Locked<[FakeConnection]>

  static func start() async throws -> FakeBroker {
    let accepted = Locked<[FakeConnection]>([])
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          let connection = FakeConnection(channel: channel)
          try channel.pipeline.syncOperations.addHandler(FakeBrokerHandler(connection: connection))
          accepted.withLock { $0.append(connection) }
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    return FakeBroker(channel: channel, accepted: accepted)
  }

  private init(channel: any Channel, accepted: Locked<[FakeConnection]>) {
    serverChannel = channel
    port = channel.localAddress?.port ?? 0
    self.accepted = accepted
  }

  var url: String { "mqtt://127.0.0.1:\(port)" }

  /// Waits for the `index`-th connection (0-based) the broker accepted.
  func connection(_ index: Int, timeout: Duration = .seconds(10)) async throws -> FakeConnection {
    try await poll("connection \(index) accepted", timeout: timeout) { accepted.withLock { $0.count > index } }
    return accepted.withLock { $0[index] }
  }

  func stop() async {
    for connection in accepted.withLock({ $0 }) { try? await connection.channel.close() }
    try? await serverChannel.close()
  }

  static func with<T>(_ body: (FakeBroker) async throws -> T) async throws -> T {
    let broker = try await start()
    do {
      let result = try await body(broker)
      await broker.stop()
      return result
    } catch {
      await broker.stop()
      throw error
    }
  }
}

final class FakeConnection: Sendable {
  let channel: any Channel
  private let received = Locked<[MQTTPacket]>([])
  private let closed = Locked(false)

  init(channel: any Channel) {
    self.channel = channel
  }

  func deliver(_ packet: MQTTPacket) { received.withLock { $0.append(packet) } }
  func markClosed() { closed.withLock { $0 = true } }
  var isClosed: Bool { closed.withLock { $0 } }

  /// The next packet the client sent, in order.
  func receive(timeout: Duration = .seconds(10)) async throws -> MQTTPacket {
    try await poll("client sent a packet", timeout: timeout) { received.withLock { !$0.isEmpty } }
    return received.withLock { $0.removeFirst() }
  }

  func send(_ packet: MQTTPacket) async throws {
    try await channel.writeAndFlush(try packet.encode()).get()
  }

  func sendRaw(_ bytes: [UInt8]) async throws {
    try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
  }

  func close() async {
    try? await channel.close()
  }

  /// Reads CONNECT and answers CONNACK.
  @discardableResult
  func acceptConnect(sessionPresent: Bool = false, returnCode: UInt8 = 0) async throws -> MQTTPacket.Connect {
    guard case .connect(let connect) = try await receive() else { throw HarnessError("expected CONNECT") }
    try await send(.connAck(.init(sessionPresent: sessionPresent, returnCode: returnCode)))
    return connect
  }
}

private final class FakeBrokerHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer

  private let connection: FakeConnection
  private var processor = NIOSingleStepByteToMessageProcessor(MQTTPacketDecoder(maxPacketSize: 1 << 24))

  init(connection: FakeConnection) {
    self.connection = connection
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    do {
      try processor.process(buffer: unwrapInboundIn(data)) { connection.deliver($0) }
    } catch {
      context.close(promise: nil)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    connection.markClosed()
  }
}
