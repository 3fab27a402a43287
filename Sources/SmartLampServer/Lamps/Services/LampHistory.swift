import SmartLampCore
import SmartLampStore

/// A lamp's history (issue #7 item 7): its command log rows and the power changes the device reported that no
/// command explains, merged newest first, each with who did it.
struct LampHistory: Sendable {
  let store: Store

  static let defaultPageSize = 50
  static let maximumPageSize = LampHistoryRepository.maximumPageSize

  /// One entry as the API shows it.
  struct Item: Encodable, Sendable {
    struct Actor: Encodable, Sendable {
      let type: String
      @NullEncoded var id: Int64?
      @NullEncoded var name: String?
    }

    let id: String
    let at: Int64
    let kind: String
    let power: String
    @NullEncoded var status: String?
    @NullEncoded var ackLatencyMs: Int64?
    let actor: Actor
    @NullEncoded var requestId: String?

    init(_ entry: LampHistoryEntry) {
      id = (entry.position.kind == .command ? "c" : "d") + String(entry.position.id)
      at = entry.position.at
      kind = entry.position.kind.rawValue
      power = entry.power.rawValue
      status = entry.status?.rawValue
      ackLatencyMs = entry.ackLatencyMs
      actor = Actor(type: entry.actor.type, id: entry.actor.id, name: entry.actor.name)
      requestId = entry.requestId
    }
  }

  /// A page of `device`'s history after `cursor` (exclusive), at or after `since`.
  func page(of device: LampDevice, limit: Int, after cursor: LampHistoryPosition?, since: Int64?) async throws
    -> Page<Item>
  {
    let page = try await store.lampHistory.page(
      deviceInternalId: device.id, limit: limit, after: cursor, since: since)
    return Page(items: page.items.map(Item.init), nextCursor: page.next?.text)
  }
}
