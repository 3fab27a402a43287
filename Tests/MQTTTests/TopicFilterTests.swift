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
  ]

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
