import Foundation
import SmartLampCore
import SmartLampStore

/// The audit log (issue #8 item 5): every command and device-side change, filtered, for administrators everything
/// and for members the lamps they may see; as JSON pages or as CSV.
struct AuditLog: Sendable {
  let lamps: LampServices

  static let defaultPageSize = 50
  static let maximumPageSize = 200
  /// CSV exports read this many rows per database read, and stop after `exportCap` rows.
  static let exportBatch = 500
  static let exportCap = 100_000

  /// One row as the API shows it.
  struct Item: Encodable, Sendable {
    struct Actor: Encodable, Sendable {
      let type: String
      @NullEncoded var id: Int64?
      @NullEncoded var name: String?
    }

    let id: String
    let kind: String
    let at: Int64
    let deviceId: String
    @NullEncoded var deviceName: String?
    let commandChannel: String
    let power: String
    let origin: String
    @NullEncoded var status: String?
    @NullEncoded var ackLatencyMs: Int64?
    @NullEncoded var error: String?
    let actor: Actor
    @NullEncoded var requestId: String?
    @NullEncoded var source: String?

    init(_ entry: AuditEntry) {
      id = (entry.position.kind == .command ? "c" : "d") + String(entry.position.id)
      kind = entry.position.kind.rawValue
      at = entry.position.at
      deviceId = entry.deviceId
      deviceName = entry.deviceName
      commandChannel = entry.channel
      power = entry.power
      origin = entry.origin
      status = entry.status?.rawValue
      ackLatencyMs = entry.ackLatencyMs
      error = entry.error
      actor = Actor(type: entry.actor.type, id: entry.actor.id, name: entry.actor.name)
      requestId = entry.requestId
      source = entry.source
    }
  }

  /// The filter `principal` may read with: members are narrowed to the lamps they see.
  func scoped(_ filter: AuditFilter, for principal: Principal) async throws -> AuditFilter {
    var filter = filter
    if !Authorization.isAdmin(principal) {
      filter.visibleDeviceIds = Set(try await lamps.visibleDevices(for: principal).map(\.device.id))
    }
    return filter
  }

  func page(_ filter: AuditFilter, limit: Int, after cursor: LampHistoryPosition?) async throws -> Page<Item> {
    let page = try await lamps.store.auditLog.page(filter, limit: limit, after: cursor)
    return Page(items: page.items.map(Item.init), nextCursor: page.next?.text)
  }

  /// Every matching row (at most `exportCap`), newest first, `exportBatch` rows per read.
  func rows(_ filter: AuditFilter) -> AsyncThrowingStream<[AuditEntry], any Error> {
    let repository = lamps.store.auditLog
    return AsyncThrowingStream { continuation in
      let task = Task {
        var cursor: LampHistoryPosition?
        var sent = 0
        do {
          repeat {
            let page = try await repository.page(
              filter, limit: min(Self.exportBatch, Self.exportCap - sent), after: cursor)
            if !page.items.isEmpty { continuation.yield(page.items) }
            sent += page.items.count
            cursor = page.next
          } while cursor != nil && sent < Self.exportCap && !Task.isCancelled
          continuation.finish()
        } catch {
          continuation.finish(throwing: error)
        }
      }
      continuation.onTermination = { _ in task.cancel() }
    }
  }
}

/// The CSV form of the audit log: RFC 4180 quoting, and cells that a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or CR) prefixed with `'` (OWASP's CSV-injection advice).
enum AuditCSV {
  static let columns = [
    "id", "at", "kind", "deviceId", "deviceName", "commandChannel", "power", "origin", "status", "ackLatencyMs",
    "error", "actorType", "actorId", "actorName", "requestId", "source",
  ]

  static var header: String { line(columns) }

  static func line(_ cells: [String]) -> String {
    cells.map(cell).joined(separator: ",") + "\r\n"
  }

  static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]
  static let quoted: Set<Unicode.Scalar> = [",", "\"", "\n", "\r"]

  static func cell(_ value: String) -> String {
    var text = value
    if let first = text.unicodeScalars.first, formulaStarts.contains(first) { text = "'" + text }
    // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
    guard text.unicodeScalars.contains(where: quoted.contains) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  static func line(_ entry: AuditEntry) -> String {
    let item = AuditLog.Item(entry)
    return line([
      item.id, APITime.iso8601(millis: item.at), item.kind, item.deviceId,
      item.deviceName ?? "", item.commandChannel, item.power, item.origin, item.status ?? "",
      item.ackLatencyMs.map(String.init) ?? "", item.error ?? "", item.actor.type, item.actor.id.map(String.init) ?? "",
      item.actor.name ?? "", item.requestId ?? "", item.source ?? "",
    ])
  }
}
