import Hummingbird
import SmartLampCore
import SmartLampStore

/// `POST /api/v1/schedules/preview`: the next run instants of a cron or window schedule in a time zone, from the
/// server's schedule engine, before anything is saved (any signed-in person; keys need `read`).
struct SchedulePreviewRoutes: Sendable {
  /// Epoch milliseconds up to the year 9999.
  static let instants = 0...253_402_300_799_999
  /// Window fields are seconds of the local day despite their upstream names.
  static let secondOfDay = 0...(ScheduleWindow.secondsPerDay - 1)

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.post("schedules/preview", use: preview)
  }

  func preview(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorizeActing(scope: .read)
    var fields = try await request.bodyFields()
    let cron = fields.text("cron", lengths: 1...CronExpression.maximumLength, required: true)
    let timezone = fields.text("timezone", lengths: 1...ScheduleTimeZone.maximumLength, required: true)
    let window = SchedulePreview.Window(
      start: fields.int("windowStartMinute", in: Self.secondOfDay),
      end: fields.int("windowEndMinute", in: Self.secondOfDay),
      interval: fields.int("enforceEveryMinute", in: ScheduleWindow.intervalRange))
    let count = fields.int("count", in: SchedulePreview.counts) ?? SchedulePreview.defaultCount
    let after = fields.int("after", in: Self.instants).map(Int64.init) ?? Timestamp.nowMillis()
    try fields.finish()
    guard let cron, let timezone else { throw APIError.validation() }
    let runs = try SchedulePreview.runs(cron: cron, timezone: timezone, window: window, count: count, after: after)
    return try EnvelopeResponse.success(["runs": runs], requestID: context.requestID)
  }
}
