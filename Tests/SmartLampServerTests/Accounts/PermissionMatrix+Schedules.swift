import SmartLampCore

@testable import SmartLampServer

/// Schedule routes (CONTRACT §4 and §9, UPSTREAM §4.6): reading needs `read` and schedule monitoring on the
/// device, changing needs `schedule` and schedule manage with device control. A schedule the caller may not see
/// answers 404 (hidden and missing look the same); one it sees but may not change answers 403.
extension PermissionMatrixTests {
  static let scheduleRoutes: [Route] = [
    Route(.get, "/api/v1/schedules", expected: scoped("read", 200)),
    Route(
      .post, "/api/v1/schedules", idempotent: true, body: { _ in scheduleBody },
      expected: { caller in
        let gate = scoped("schedule", 201)(caller)
        guard gate == 201, caller.isAdmin == false else { return gate }
        return caller.mayManageSchedules ? 201 : 403
      }),
    Route(
      .get, "/api/v1/schedules/{scheduleId}", uri: { "/api/v1/schedules/\($0.scheduleId)" },
      expected: onSchedule("read", manage: false, 200)),
    Route(
      .get, "/api/v1/schedules/{scheduleId}/runs", uri: { "/api/v1/schedules/\($0.scheduleId)/runs" },
      expected: onSchedule("read", manage: false, 200)),
    Route(
      .patch, "/api/v1/schedules/{scheduleId}", uri: { "/api/v1/schedules/\($0.scheduleId)" }, idempotent: true,
      body: { ["misfireGraceSec": .int(60 + $0.counter % 600)] }, expected: onSchedule("schedule", manage: true, 200)),
    Route(
      .delete, "/api/v1/schedules/{scheduleId}", uri: { "/api/v1/schedules/\($0.doomedScheduleId)" },
      idempotent: true, expected: onSchedule("schedule", manage: true, 200)),
  ]

  /// A valid schedule on the matrix lamp that never fires during the test (once a year).
  static let scheduleBody: JSONValue = [
    "deviceId": .string(matrixLamp), "action": "ON", "cron": "0 0 1 1 *", "timezone": "Asia/Jakarta",
  ]

  /// A route on the admin's schedule of the matrix lamp.
  static func onSchedule(_ scope: String, manage: Bool, _ success: Int) -> Rule {
    { caller in
      let gate = scoped(scope, success)(caller)
      guard gate == success, caller.isAdmin == false else { return gate }
      guard caller.maySeeSchedules else { return 404 }
      return !manage || caller.mayManageSchedules ? success : 403
    }
  }
}

extension PermissionMatrixTests.Caller {
  /// Schedule rights come from the (owner's) assignment; a key's other scopes do not cap them.
  var maySeeSchedules: Bool { (grant?.schedulePermission ?? SchedulePermission.none) >= .monitoring }
  var mayManageSchedules: Bool {
    guard let grant else { return false }
    return grant.schedulePermission == .manage && grant.devicePermission >= .control
  }
}
