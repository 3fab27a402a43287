import Logging
import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// Collects a subscription's messages in the background so tests can poll for them with a deadline.
final class Inbox: Sendable {
  private let messages = Locked<[MQTTMessage]>([])
  private let finished = Locked(false)
  private let task = Locked<Task<Void, Never>?>(nil)

  init(_ subscription: MQTTSubscription) {
    let task = Task { [messages, finished] in
      for await message in subscription {
        messages.withLock { $0.append(message) }
      }
      finished.withLock { $0 = true }
    }
    self.task.withLock { $0 = task }
  }

  deinit { task.withLock { $0?.cancel() } }

  var all: [MQTTMessage] { messages.withLock { $0 } }
  var isFinished: Bool { finished.withLock { $0 } }

  /// Waits until `count` messages arrived and returns them.
  @discardableResult
  func wait(for count: Int, timeout: Duration = .seconds(30)) async throws -> [MQTTMessage] {
    try await poll("\(count) message(s) received", timeout: timeout) { all.count >= count }
    return all
  }

  /// Waits for a message matching `predicate`.
  @discardableResult
  func wait(timeout: Duration = .seconds(30), until predicate: @escaping (MQTTMessage) -> Bool) async throws
    -> MQTTMessage
  {
    do {
      try await poll("a matching message received", timeout: timeout) { all.contains(where: predicate) }
    } catch {
      throw HarnessError("no matching message; received so far: \(all.map { "\($0.topic)=\($0.payloadString)" })")
    }
    return all.first(where: predicate)!
  }
}

/// Records every state a client reports.
final class StateRecorder: Sendable {
  private let states = Locked<[MQTTConnectionState]>([])
  private let task = Locked<Task<Void, Never>?>(nil)

  init(_ client: MQTTClient) {
    let stream = client.stateUpdates()
    let task = Task { [states] in
      for await state in stream { states.withLock { $0.append(state) } }
    }
    self.task.withLock { $0 = task }
  }

  deinit { task.withLock { $0?.cancel() } }

  var all: [MQTTConnectionState] { states.withLock { $0 } }
}

extension MosquittoBroker {
  /// A client configuration for this broker on `transport`, with credentials and the test CA.
  func configuration(
    _ transport: Transport, clientID: String = "test-\(UInt32.random(in: 0...UInt32.max))"
  ) throws -> MQTTClientConfiguration {
    var configuration = try MQTTClientConfiguration(url: url(transport), clientID: clientID)
    configuration.username = username
    configuration.password = password
    configuration.caFile = caFile
    // Generous: failures surface as assertion errors long before these, and loaded or sanitized runs are slow.
    configuration.ackTimeout = .seconds(20)
    configuration.connectTimeout = .seconds(20)
    configuration.reconnect = MQTTBackoff(initial: .milliseconds(50), maximum: .milliseconds(500), jitter: 0.2)
    return configuration
  }
}

/// Connects a client, runs `body`, and always disconnects it.
func withClient<T>(
  _ configuration: MQTTClientConfiguration, _ body: (MQTTClient) async throws -> T
) async throws -> T {
  var logger = Logger(label: "mqtt-test")
  logger.logLevel = .warning
  let client = MQTTClient(configuration: configuration, logger: logger)
  do {
    try await client.connect()
    let result = try await body(client)
    await client.disconnect()
    return result
  } catch {
    await client.disconnect()
    throw error
  }
}

func uniqueTopic(_ prefix: String = "test") -> String {
  "\(prefix)/\(UInt64.random(in: 0...UInt64.max))"
}
