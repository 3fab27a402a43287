import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SmartLampCore
import SmartLampStore

/// `GET /api/v1/history` and `GET /api/v1/history/export.csv` (issue #8 item 5): the audit log with filters, as
/// cursor pages or as a streamed CSV of the same rows. Read permission; members see their lamps only.
struct AuditRoutes: Sendable {
  let lamps: LampServices
  var audit: AuditLog { AuditLog(lamps: lamps) }

  static let origins = ["user", "api_key", "schedule", "device"]

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("history", use: list)
    api.get("history/export.csv", use: export)
  }

  func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.readCommandLog)
    var errors = FieldErrors()
    let query = PageQuery(
      request, defaultLimit: AuditLog.defaultPageSize, maximum: AuditLog.maximumPageSize, errors: &errors)
    var cursor: LampHistoryPosition?
    if let text = query.cursor {
      cursor = LampHistoryPosition(text: text)
      if cursor == nil { errors.add("cursor", "is not a valid cursor") }
    }
    let filter = Self.filter(request, errors: &errors)
    try errors.finish()
    let scoped = try await audit.scoped(filter, for: context.principal)
    return try EnvelopeResponse.success(
      try await audit.page(scoped, limit: query.limit, after: cursor), requestID: context.requestID)
  }

  func export(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.readCommandLog)
    var errors = FieldErrors()
    let filter = Self.filter(request, errors: &errors)
    try errors.finish()
    let rows = audit.rows(try await audit.scoped(filter, for: context.principal))
    var headers = HTTPFields()
    headers[.contentType] = "text/csv; charset=utf-8"
    headers[.contentDisposition] = "attachment; filename=\"smartlamp-history.csv\""
    headers[.cacheControl] = "no-store"
    return Response(
      status: .ok, headers: headers,
      body: ResponseBody { writer in
        try await writer.write(ByteBuffer(string: AuditCSV.header))
        for try await batch in rows {
          try await writer.write(ByteBuffer(string: batch.map(AuditCSV.line).joined()))
        }
        try await writer.finish(nil)
      })
  }

  /// The filters both forms share, each checked and named on error.
  static func filter(_ request: Request, errors: inout FieldErrors) -> AuditFilter {
    let query = request.uri.queryParameters
    var filter = AuditFilter()
    if let text = query.get("deviceId") {
      if (1...DeviceID.maximumLength).contains(text.count) {
        filter.deviceId = text
      } else {
        errors.add("deviceId", "must be 1–\(DeviceID.maximumLength) characters")
      }
    }
    filter.userId = positiveID(query.get("userId"), "userId", &errors)
    filter.clientId = positiveID(query.get("clientId"), "clientId", &errors)
    if let text = query.get("origin") {
      if origins.contains(text) {
        filter.origin = text
      } else {
        errors.add("origin", "must be one of \(origins.joined(separator: ", "))")
      }
    }
    if let text = query.get("status") {
      if let status = CommandStatus(rawValue: text.uppercased()) {
        filter.status = status
      } else {
        errors.add("status", "must be one of \(CommandStatus.allCases.map(\.rawValue).joined(separator: ", "))")
      }
    }
    if let text = query.get("kind") {
      if let kind = LampHistoryKind(rawValue: text) {
        filter.kind = kind
      } else {
        errors.add("kind", "must be command or device")
      }
    }
    filter.from = time(query.get("from"), "from", &errors)
    filter.to = time(query.get("to"), "to", &errors)
    if let from = filter.from, let to = filter.to, from >= to { errors.add("to", "must be after from") }
    return filter
  }

  static func positiveID(_ text: String?, _ name: String, _ errors: inout FieldErrors) -> Int64? {
    guard let text else { return nil }
    guard let value = Int64(text), value > 0 else {
      errors.add(name, "must be a positive whole number")
      return nil
    }
    return value
  }

  /// Epoch milliseconds or an ISO-8601 time (with or without fractional seconds).
  static func time(_ text: String?, _ name: String, _ errors: inout FieldErrors) -> Int64? {
    guard let text else { return nil }
    if let value = Int64(text), value >= 0 { return value }
    if text.count <= 64 {
      if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) {
        return Int64(date.timeIntervalSince1970 * 1000)
      }
      if let date = try? Date.ISO8601FormatStyle().parse(text) { return Int64(date.timeIntervalSince1970 * 1000) }
    }
    errors.add(name, "must be epoch milliseconds or an ISO-8601 time")
    return nil
  }
}
