import NIOCore

/// Requests waiting for the broker, keyed by packet identifier (the only key MQTT 3.1.1 acks carry), plus the
/// identifier allocator: non-zero, never one still in use [MQTT-2.3.1-1, MQTT-2.3.1-2].
///
/// Outbound QoS 1/2 publishes stay here across reconnects on a persistent session, so they can be re-sent with DUP.
struct RequestTable {
  enum Expected: Equatable {
    case pubAck, pubRec, pubComp, subAck, unsubAck
  }

  struct Entry {
    var expected: Expected
    /// What to (re-)send for this request: PUBLISH, PUBREL (QoS 2 second phase), SUBSCRIBE or UNSUBSCRIBE.
    var packet: MQTTPacket
    var sent: Bool
    var deadline: NIODeadline
    var serial: UInt64
    var continuation: CheckedContinuation<MQTTPacket, any Error>

    var isPublish: Bool { expected == .pubAck || expected == .pubRec || expected == .pubComp }
  }

  private(set) var entries: [UInt16: Entry] = [:]
  private var lastID: UInt16 = 0

  var isEmpty: Bool { entries.isEmpty }

  /// The next free identifier after the last one handed out, or nil when all 65 535 are in flight.
  mutating func allocateID() -> UInt16? {
    guard entries.count < Int(UInt16.max) else { return nil }
    var candidate = lastID
    repeat {
      candidate = candidate == UInt16.max ? 1 : candidate + 1
    } while entries[candidate] != nil
    lastID = candidate
    return candidate
  }

  mutating func insert(_ entry: Entry, id: UInt16) {
    entries[id] = entry
  }

  /// Handles an acknowledgement. Returns the finished entry, or for PUBREC moves the entry to its PUBCOMP phase
  /// and returns the PUBREL to send. Acks for unknown identifiers or of the wrong kind change nothing.
  enum AckOutcome {
    case completed(Entry)
    case sendPubRel(UInt16)
    case ignored
  }

  mutating func acknowledge(_ id: UInt16, as kind: Expected) -> AckOutcome {
    guard var entry = entries[id], entry.expected == kind else { return .ignored }
    if kind == .pubRec {
      entry.expected = .pubComp
      entry.packet = .ack(.init(kind: .pubRel, packetID: id))
      entries[id] = entry
      return .sendPubRel(id)
    }
    entries[id] = nil
    return .completed(entry)
  }

  mutating func remove(serial: UInt64) -> Entry? {
    guard let (id, _) = entries.first(where: { $0.value.serial == serial }) else { return nil }
    return entries.removeValue(forKey: id)
  }

  /// The deadline the timeout timer must fire at next, if anything is pending.
  var earliestDeadline: NIODeadline? {
    entries.values.lazy.map(\.deadline).min()
  }

  mutating func removeExpired(now: NIODeadline) -> [Entry] {
    let expired = entries.filter { $0.value.deadline <= now }
    for id in expired.keys { entries[id] = nil }
    return Array(expired.values)
  }

  /// Removes the entries matching `predicate` (e.g. everything but publishes on a persistent session).
  mutating func removeAll(where predicate: (Entry) -> Bool) -> [Entry] {
    let removed = entries.filter { predicate($0.value) }
    for id in removed.keys { entries[id] = nil }
    return Array(removed.values)
  }

  /// Packets to re-send after a reconnect, in their original order: PUBLISH with DUP if it was sent before,
  /// PUBREL as is [MQTT-4.4.0-1]. Marks them sent.
  mutating func packetsToResend() -> [MQTTPacket] {
    let ordered = entries.filter { $0.value.isPublish }.sorted { $0.value.serial < $1.value.serial }
    return ordered.map { id, entry in
      entries[id]?.sent = true
      if case .publish(var publish) = entry.packet {
        publish.dup = entry.sent
        return .publish(publish)
      }
      return entry.packet
    }
  }
}
