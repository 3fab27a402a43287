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
  // Compared in place, level by level: the client matches every received message against every filter of every
  // subscription (issue #10: splitting both into arrays of levels was 6 % of the server during ingest).
  var topic = topic
  var filter = filter
  return topic.withUTF8 { topic in filter.withUTF8 { filter in mqttTopicBytes(topic, matches: filter) } }
}

private func mqttTopicBytes(_ topic: UnsafeBufferPointer<UInt8>, matches filter: UnsafeBufferPointer<UInt8>) -> Bool {
  let slash = UInt8(ascii: "/")
  if topic.first == UInt8(ascii: "$"), let first = filter.first,
    first == UInt8(ascii: "+") || first == UInt8(ascii: "#")
  {
    return false
  }
  // The start of the current level in each; past the end (count + 1) once the last level was taken. A text with n
  // slashes has n + 1 levels, the empty text one empty level.
  var topicStart = 0
  var filterStart = 0
  while filterStart <= filter.count {
    var filterEnd = filterStart
    while filterEnd < filter.count && filter[filterEnd] != slash { filterEnd += 1 }
    let filterLength = filterEnd - filterStart
    if filterLength == 1 && filter[filterStart] == UInt8(ascii: "#") { return true }
    guard topicStart <= topic.count else { return false }
    var topicEnd = topicStart
    while topicEnd < topic.count && topic[topicEnd] != slash { topicEnd += 1 }
    if !(filterLength == 1 && filter[filterStart] == UInt8(ascii: "+")) {
      guard filterLength == topicEnd - topicStart else { return false }
      for offset in 0..<filterLength where filter[filterStart + offset] != topic[topicStart + offset] { return false }
    }
    filterStart = filterEnd + 1
    topicStart = topicEnd + 1
  }
  return topicStart > topic.count
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
