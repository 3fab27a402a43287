import Testing

@testable import MQTT

@Suite("Topic filters")
struct TopicFilterTests {
  static let cases: [(String, String, Bool)] = [
    ("lamp/1/state", "lamp/1/state", true),
    ("lamp/1/state", "lamp/+/state", true),
    ("lamp/1/state", "lamp/#", true),
    ("lamp", "lamp/#", true),
    ("lamp/1/state", "#", true),
    ("lamp/1/state", "lamp/+", false),
    ("lamp/1", "lamp/+/state", false),
    ("lamp", "lamp/+", false),
    ("lamp/", "lamp/+", true),
    ("/finance", "+/+", true),
    ("/finance", "/+", true),
    ("/finance", "+", false),
    ("lamp/1/state", "Lamp/1/state", false),
    ("a/", "a/", true),
    ("a", "a/", false),
    ("$SYS/broker/uptime", "#", false),
    ("$SYS/broker/uptime", "+/broker/uptime", false),
    ("$SYS/broker/uptime", "$SYS/#", true),
    ("$SYS/broker/uptime", "$SYS/+/uptime", true),
    ("sport/tennis/player1", "sport/tennis/player1/#", true),
    ("sport/tennis/player1/ranking", "sport/tennis/+", false),
    ("", "#", true),
    ("", "+", true),
    ("a//b", "a/+/b", true),
    ("a/b/c", "a/+/+/#", true),
    ("a/b", "a/b/c", false),
    ("ab", "a", false),
    ("a", "ab", false),
  ]

  /// Matching as it was defined first, on levels split into arrays: the in-place matcher must agree with it.
  static func byLevels(_ topic: String, _ filter: String) -> Bool {
    let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
    let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
    if topic.hasPrefix("$"), filter.hasPrefix("+") || filter.hasPrefix("#") { return false }
    for (index, level) in filterLevels.enumerated() {
      if level == "#" { return true }
      guard index < topicLevels.count else { return false }
      if level != "+" && level != topicLevels[index] { return false }
    }
    return topicLevels.count == filterLevels.count
  }

  @Test("matching in place agrees with matching split levels on every pair")
  func agreesWithLevels() {
    let topics = [
      "", "/", "//", "a", "a/", "/a", "a/b", "a//b", "a/b/c", "ab/c", "$SYS", "$SYS/a", "stat/lamp-1/RESULT",
      "lamp-1/tele/STATE", "tele/lamp-1/STATE/x", "home/lampu/status",
    ]
    let filters = [
      "#", "+", "/", "+/+", "+/#", "a", "a/", "a/#", "a/+", "a/+/c", "a/b/#", "$SYS/#", "stat/+/+", "+/stat/+",
      "tele/+/+", "+/tele/+", "home/+/status", "home/+/lwt", "a/+/+/#",
    ]
    for topic in topics {
      for filter in filters {
        #expect(mqttTopic(topic, matches: filter) == Self.byLevels(topic, filter), "\(topic) vs \(filter)")
      }
    }
  }

  @Test("matching follows MQTT 3.1.1 §4.7", arguments: 0..<cases.count)
  func matching(index: Int) {
    let (topic, filter, expected) = Self.cases[index]
    #expect(mqttTopic(topic, matches: filter) == expected, "\(topic) vs \(filter)")
  }

  @Test("invalid filters are rejected", arguments: ["", "a/#/b", "a#", "a/b+", "+a", "##"])
  func invalidFilters(filter: String) {
    #expect(throws: MQTTError.self) { try validateTopicFilter(filter) }
  }

  @Test("valid filters pass", arguments: ["#", "+", "a/+/b", "a/#", "/", "+/+", "$SYS/#"])
  func validFilters(filter: String) throws {
    try validateTopicFilter(filter)
  }
}
