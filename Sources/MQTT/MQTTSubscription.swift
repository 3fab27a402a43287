/// The messages matching one ``MQTTClient/subscribe(_:qos:)`` call, as an async sequence.
///
/// Matching is local (`+`, `#`, `$`-topic rules), so overlapping subscriptions each get their own copy and a
/// message is yielded once per subscription. The stream survives reconnects (the client re-subscribes) and ends
/// on ``MQTTClient/disconnect()`` or ``MQTTClient/unsubscribe(_:)`` of all its filters.
///
/// **The buffer is bounded** by ``MQTTClientConfiguration/subscriptionBufferSize``: a consumer that falls that far
/// behind loses the oldest messages (a warning is logged), rather than letting memory grow without limit.
public struct MQTTSubscription: AsyncSequence, Sendable {
  public typealias Element = MQTTMessage

  /// The topic filters this subscription matches.
  public let filters: [String]
  let stream: AsyncStream<MQTTMessage>

  public struct AsyncIterator: AsyncIteratorProtocol {
    var base: AsyncStream<MQTTMessage>.AsyncIterator

    public mutating func next() async -> MQTTMessage? {
      await base.next()
    }
  }

  public func makeAsyncIterator() -> AsyncIterator {
    AsyncIterator(base: stream.makeAsyncIterator())
  }
}
