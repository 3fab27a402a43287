public typealias TopicBuffer = FixedBytes<160>

/// Which of the lamp's own command topics a message arrived on.
public enum CommandTopic: Sendable, Equatable {
  /// `cmnd/<id>/POWER` (Tasmota order, command name case-insensitive).
  case power
  /// `<id>/cmnd/POWER` (the Tasmota `%topic%/%prefix%/` order).
  case powerReversed
  /// `home/<id>/cmd` (the archived upstream firmware's envelope topic).
  case envelope
}

/// The lamp's MQTT topics: the ones it subscribes to, the ones it publishes on, and the classification of an
/// incoming topic (anything not addressed to this device id is ignored).
public enum LampTopics {
  public static let maxTopicLength = 160

  /// `home/<id>/status`: retained state and (not retained) refusal reports.
  public static func status(_ id: borrowing FixedBytes<64>) -> TopicBuffer { make("home/", id, "/status") }
  /// `home/<id>/lwt`: retained `ONLINE`, and the Will `OFFLINE`.
  public static func availability(_ id: borrowing FixedBytes<64>) -> TopicBuffer { make("home/", id, "/lwt") }
  /// `stat/<id>/POWER`: plain `ON`/`OFF`, retained (Tasmota's PowerRetain).
  public static func statPower(_ id: borrowing FixedBytes<64>) -> TopicBuffer { make("stat/", id, "/POWER") }
  /// `stat/<id>/RESULT`: `{"POWER":"ON"}`, not retained (as Tasmota).
  public static func statResult(_ id: borrowing FixedBytes<64>) -> TopicBuffer { make("stat/", id, "/RESULT") }

  /// The three subscriptions: `cmnd/<id>/+`, `<id>/cmnd/+` and `home/<id>/cmd`.
  public static func subscription(_ index: Int, _ id: borrowing FixedBytes<64>) -> TopicBuffer? {
    switch index {
    case 0: return make("cmnd/", id, "/+")
    case 1: return make("", id, "/cmnd/+")
    case 2: return make("home/", id, "/cmd")
    default: return nil
    }
  }

  public static let subscriptionCount = 3

  static func make(_ prefix: StaticString, _ id: borrowing FixedBytes<64>, _ suffix: StaticString) -> TopicBuffer {
    var topic = TopicBuffer()
    topic.append(prefix)
    topic.append(id)
    topic.append(suffix)
    return topic
  }

  /// Classifies `topic`: nil when it is not one of this device's command topics (another device's id, another
  /// command name, too long or too many levels).
  public static func classify(_ topic: Span<UInt8>, deviceId: borrowing FixedBytes<64>) -> CommandTopic? {
    guard topic.count <= maxTopicLength else { return nil }
    var levels = InlineArray<3, Range<Int>>(repeating: 0..<0)
    var levelCount = 0
    var start = 0
    for index in 0...topic.count {
      if index == topic.count || topic[index] == 0x2F {
        guard levelCount < 3 else { return nil }
        levels[levelCount] = start..<index
        levelCount += 1
        start = index + 1
      }
    }
    guard levelCount == 3 else { return nil }
    let first = topic.extracting(levels[0])
    let second = topic.extracting(levels[1])
    let third = topic.extracting(levels[2])
    if equals(first, "cmnd"), equals(second, deviceId), equalsIgnoringCase(third, "POWER") { return .power }
    if equals(first, deviceId), equals(second, "cmnd"), equalsIgnoringCase(third, "POWER") { return .powerReversed }
    if equals(first, "home"), equals(second, deviceId), equals(third, "cmd") { return .envelope }
    return nil
  }

  static func equals(_ span: Span<UInt8>, _ text: StaticString) -> Bool {
    text.withUTF8Buffer { expected in
      guard expected.count == span.count else { return false }
      for index in 0..<span.count where span[index] != expected[index] { return false }
      return true
    }
  }

  static func equals(_ span: Span<UInt8>, _ id: borrowing FixedBytes<64>) -> Bool {
    guard id.count == span.count else { return false }
    for index in 0..<span.count where span[index] != id[index] { return false }
    return true
  }

  static func equalsIgnoringCase(_ span: Span<UInt8>, _ upper: StaticString) -> Bool {
    upper.withUTF8Buffer { expected in
      guard expected.count == span.count else { return false }
      for index in 0..<span.count {
        let byte = span[index]
        let folded = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
        if folded != expected[index] { return false }
      }
      return true
    }
  }
}
