/// Whether `topic` (a PUBLISH topic name) matches the subscription `filter`, with MQTT 3.1.1 rules:
/// `+` matches exactly one level, a trailing `#` matches the parent level and everything below it, and a
/// filter starting with a wildcard never matches a topic starting with `$` [MQTT-4.7.2-1].
///
/// ```swift
/// mqttTopic("lamp/1/state", matches: "lamp/+/state")  // true
/// mqttTopic("lamp", matches: "lamp/#")                // true
/// mqttTopic("$SYS/uptime", matches: "#")              // false
/// ```
public func mqttTopic(_ topic: String, matches filter: String) -> Bool {
  let slash = UInt8(ascii: "/")
  let topicLevels = topic.utf8.split(separator: slash, omittingEmptySubsequences: false)
  let filterLevels = filter.utf8.split(separator: slash, omittingEmptySubsequences: false)
  if topic.utf8.first == UInt8(ascii: "$"), let first = filter.utf8.first,
    first == UInt8(ascii: "+") || first == UInt8(ascii: "#")
  {
    return false
  }
  for (index, level) in filterLevels.enumerated() {
    if level.elementsEqual("#".utf8) { return true }
    guard index < topicLevels.count else { return false }
    if !level.elementsEqual("+".utf8) && !level.elementsEqual(topicLevels[index]) { return false }
  }
  return topicLevels.count == filterLevels.count
}

/// A topic filter is non-empty, and `#` / `+` each occupy a whole level, `#` only the last [MQTT-4.7.1-2, -3].
func validateTopicFilter(_ filter: String) throws(MQTTError) {
  guard !filter.isEmpty else { throw .protocolError("empty topic filter") }
  let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
  for (index, level) in levels.enumerated() {
    if level.contains("#") && (level != "#" || index != levels.count - 1) {
      throw .protocolError("misplaced # in topic filter \(filter)")
    }
    if level.contains("+") && level != "+" {
      throw .protocolError("misplaced + in topic filter \(filter)")
    }
  }
}
