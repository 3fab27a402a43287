import Foundation
import TestSupport
import Testing

@testable import SmartLampServer

/// Changes made through this server's own API reach open streams at once (``AccessChanges``), not at the next
/// database poll. Every test lengthens the poll to a minute and waits at most a few seconds, so polling alone
/// would fail them.
@Suite(.serialized) struct RealtimeNudgeTests {
  static let slowPoll = Duration.seconds(60)
  static let prompt = Duration.seconds(5)

  /// A lamp environment whose realtime watcher polls the database only every ``slowPoll``.
  static func withSlowPoll(_ body: @Sendable (LampEnv) async throws -> Void) async throws {
    try await RealtimeWatcher.$defaultCheckInterval.withValue(slowPoll) {
      try await LampEnv.with { env in try await body(env) }
    }
  }

  @Test func grantingAndRevokingAnAssignmentReachTheOpenStream() async throws {
    try await Self.withSlowPoll { env in
      try await env.createDevice("nudge-own")
      try await env.createDevice("nudge-new")
      let member = try await env.createMember("nudge@example.com")
      try await env.assign(member.id, ["nudge-own": "control"])
      let stream = try await SSEClient.open(port: env.port, token: member.token)
      let events = stream.events
      let snapshot = try await events.next(within: Self.prompt, "snapshot") { $0.type == "status" }
      #expect(snapshot?.deviceId == "nudge-own")

      try await env.assign(member.id, ["nudge-own": "control", "nudge-new": "monitoring"])
      let granted = try await events.next(within: Self.prompt, "devices frame after the grant") {
        $0.type == "devices"
      }
      #expect(granted != nil)
      let fresh = try await events.next(within: Self.prompt, "status of the granted device") {
        $0.type == "status"
      }
      #expect(fresh?.deviceId == "nudge-new")
      #expect(fresh?.json?["payload"]?["reportSource"]?.string == "snapshot")

      try await env.assign(member.id, ["nudge-own": "control"])
      let revoked = try await events.next(within: Self.prompt, "devices frame after the revocation") {
        $0.type == "devices"
      }
      #expect(revoked != nil)
      // The revoked device's events no longer arrive; the marker on the kept device comes after them.
      _ = try await env.execute("nudge-new", "ON", waitForAck: false, requestID: "gone-1")
      _ = try await env.execute("nudge-own", "ON", waitForAck: false, requestID: "kept-1")
      let leaked = Locked<[String]>([])
      let marker = try await events.next(within: Self.prompt, "kept device's command") { frame in
        if frame.deviceId == "nudge-new" { leaked.withLock { $0.append(frame.description) } }
        return frame.type == "command" && frame.json?["requestId"]?.string == "kept-1"
      }
      #expect(marker != nil)
      #expect(leaked.withLock { $0 } == [])
      await stream.close()
    }
  }

  @Test func creatingAndDeletingADeviceReachAnAdminStream() async throws {
    try await Self.withSlowPoll { env in
      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      let events = stream.events
      _ = try await events.next(within: Self.prompt, "hello") { $0.type == "hello" }
      try await env.createDevice("nudge-created")
      #expect(try await events.next(within: Self.prompt, "devices frame after create") { $0.type == "devices" } != nil)
      let status = try await events.next(within: Self.prompt, "status of the new device") { $0.type == "status" }
      #expect(status?.deviceId == "nudge-created")
      let deleted = try await env.call(.delete, "/api/v1/devices/nudge-created", idempotencyKey: "delete-nudge")
      #expect(deleted.status == 200)
      #expect(try await events.next(within: Self.prompt, "devices frame after delete") { $0.type == "devices" } != nil)
      await stream.close()
    }
  }

  @Test func logoutClosesThatSessionsStreamOnly() async throws {
    try await Self.withSlowPoll { env in
      try await env.createDevice("nudge-out")
      let member = try await env.createMember("logout@example.com")
      try await env.assign(member.id, ["nudge-out": "monitoring"])
      let otherToken = try await LampEnv.login(
        port: env.port, email: "logout@example.com", password: "member-password-1")
      let leaving = try await SSEClient.open(port: env.port, token: member.token)
      let staying = try await SSEClient.open(port: env.port, token: otherToken)
      _ = try await leaving.events.next(within: Self.prompt, "snapshot") { $0.type == "status" }
      _ = try await staying.events.next(within: Self.prompt, "snapshot") { $0.type == "status" }

      let logout = try await env.call(.post, "/api/v1/auth/logout", json: "{}", token: member.token)
      #expect(logout.status == 200)
      let end = try await leaving.events.next(within: Self.prompt, "end of the logged-out stream") { _ in false }
      #expect(end == nil)
      // The other login's stream is still served.
      _ = try await env.execute("nudge-out", "ON", waitForAck: false, requestID: "after-logout")
      let live = try await staying.events.next(within: Self.prompt, "command on the other session's stream") {
        $0.type == "command" && $0.json?["requestId"]?.string == "after-logout"
      }
      #expect(live != nil)
      await leaving.close()
      await staying.close()
    }
  }

  @Test func archivingTheUserClosesAllTheirStreams() async throws {
    try await Self.withSlowPoll { env in
      try await env.createDevice("nudge-arch")
      let member = try await env.createMember("archived@example.com")
      try await env.assign(member.id, ["nudge-arch": "monitoring"])
      let first = try await SSEClient.open(port: env.port, token: member.token)
      let second = try await SSEClient.open(port: env.port, token: member.token)
      let admin = try await SSEClient.open(port: env.port, token: env.adminToken)
      for stream in [first, second, admin] {
        _ = try await stream.events.next(within: Self.prompt, "snapshot") { $0.type == "status" }
      }
      let archived = try await env.call(.delete, "/api/v1/users/\(member.id)", json: "{}")
      #expect(archived.status == 200)
      for stream in [first, second] {
        let end = try await stream.events.next(within: Self.prompt, "end of the archived user's stream") { _ in false }
        #expect(end == nil)
      }
      _ = try await env.execute("nudge-arch", "ON", waitForAck: false, requestID: "after-archive")
      let live = try await admin.events.next(within: Self.prompt, "command on the admin's stream") {
        $0.type == "command" && $0.json?["requestId"]?.string == "after-archive"
      }
      #expect(live != nil)
      for stream in [first, second, admin] { await stream.close() }
    }
  }

  @Test func deactivatingTheUserOrRevokingAKeyClosesTheirStreams() async throws {
    try await Self.withSlowPoll { env in
      try await env.createDevice("nudge-off")
      let member = try await env.createMember("inactive@example.com")
      try await env.assign(member.id, ["nudge-off": "monitoring"])
      let created = try await env.call(
        .post, "/api/v1/integrations/clients", json: "{\"name\":\"panel\",\"scopes\":[\"read\"]}")
      let key = try #require(created.data?["apiKey"]?.string)
      let keyID = try #require(created.data?["id"]?.lampInt)
      let userStream = try await SSEClient.open(port: env.port, token: member.token)
      let keyStream = try await SSEClient.open(port: env.port, token: key)
      _ = try await userStream.events.next(within: Self.prompt, "snapshot") { $0.type == "status" }
      _ = try await keyStream.events.next(within: Self.prompt, "snapshot") { $0.type == "status" }

      let patched = try await env.call(.patch, "/api/v1/users/\(member.id)", json: "{\"isActive\":false}")
      #expect(patched.status == 200)
      #expect(try await userStream.events.next(within: Self.prompt, "end of the user's stream") { _ in false } == nil)

      #expect(try await env.call(.delete, "/api/v1/integrations/clients/\(keyID)", json: "{}").status == 200)
      #expect(try await keyStream.events.next(within: Self.prompt, "end of the key's stream") { _ in false } == nil)
      await userStream.close()
      await keyStream.close()
    }
  }

  /// Promoted or demoted: the open stream would keep the old role's visibility, so it ends and the reconnect
  /// carries what the new role sees.
  @Test func aRoleChangeClosesTheCallersStream() async throws {
    try await Self.withSlowPoll { env in
      try await env.createDevice("nudge-role")
      let member = try await env.createMember("role@example.com")
      let before = try await SSEClient.open(port: env.port, token: member.token)
      _ = try await before.events.next(within: Self.prompt, "hello") { $0.type == "hello" }
      let promoted = try await env.call(.patch, "/api/v1/users/\(member.id)", json: "{\"role\":\"admin\"}")
      #expect(promoted.status == 200)
      #expect(try await before.events.next(within: Self.prompt, "end of the member's stream") { _ in false } == nil)
      let after = try await SSEClient.open(port: env.port, token: member.token)
      let seen = try await after.events.next(within: Self.prompt, "the device an admin sees") {
        $0.type == "status" && $0.json?["deviceId"]?.string == "nudge-role"
      }
      #expect(seen != nil)
      let demoted = try await env.call(.patch, "/api/v1/users/\(member.id)", json: "{\"role\":\"member\"}")
      #expect(demoted.status == 200)
      #expect(try await after.events.next(within: Self.prompt, "end of the admin's stream") { _ in false } == nil)
      await before.close()
      await after.close()
    }
  }

  @Test func aNewPasswordClosesTheOtherSessionsStreams() async throws {
    try await Self.withSlowPoll { env in
      try await env.createDevice("nudge-pw")
      let member = try await env.createMember("password@example.com")
      try await env.assign(member.id, ["nudge-pw": "monitoring"])
      let other = try await LampEnv.login(port: env.port, email: "password@example.com", password: "member-password-1")
      let kept = try await SSEClient.open(port: env.port, token: member.token)
      let ended = try await SSEClient.open(port: env.port, token: other)
      _ = try await kept.events.next(within: Self.prompt, "snapshot") { $0.type == "status" }
      _ = try await ended.events.next(within: Self.prompt, "snapshot") { $0.type == "status" }
      let changed = try await env.call(
        .patch, "/api/v1/profile",
        json: "{\"currentPassword\":\"member-password-1\",\"newPassword\":\"member-password-2\"}", token: member.token)
      #expect(changed.status == 200)
      #expect(
        try await ended.events.next(within: Self.prompt, "end of the other session's stream") { _ in false } == nil)
      _ = try await env.execute("nudge-pw", "ON", waitForAck: false, requestID: "after-password")
      let live = try await kept.events.next(within: Self.prompt, "command on the changing session's stream") {
        $0.type == "command" && $0.json?["requestId"]?.string == "after-password"
      }
      #expect(live != nil)
      await kept.close()
      await ended.close()
    }
  }
}

/// The notifier itself: wakes every waiter, coalesces, and leaves nothing behind on cancellation or timeout.
@Suite struct AccessChangesTests {
  @Test func aChangeWakesEveryWaiterAndChangesMadeMeanwhileCoalesce() async throws {
    let changes = AccessChanges()
    let seen = changes.generation
    async let first = changes.wait(past: seen)
    async let second = changes.wait(past: seen)
    try await poll("both waiters parked", timeout: .seconds(5)) { changes.waiterCount == 2 }
    changes.changed()
    let woken = await [first, second]
    #expect(woken == [seen + 1, seen + 1])
    changes.changed()
    changes.changed()
    // Two changes while nobody waited: one wait returns at once and sees both.
    #expect(await changes.wait(past: seen + 1) == seen + 3)
    #expect(changes.waiterCount == 0)
  }

  @Test func cancelledWaitsReturnAndLeaveNoWaiterBehind() async throws {
    let changes = AccessChanges()
    let seen = changes.generation
    let parked = Task { await changes.wait(past: seen) }
    try await poll("waiter parked", timeout: .seconds(5)) { changes.waiterCount == 1 }
    parked.cancel()
    #expect(await parked.value == seen)
    // Cancelled before it starts waiting: returns without parking.
    let early = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      return await changes.wait(past: seen)
    }
    #expect(await early.value == seen)
    #expect(changes.waiterCount == 0)
  }

  @Test func theFallbackIntervalEndsAWaitWithoutAChange() async {
    let changes = AccessChanges()
    let seen = changes.generation
    await changes.wait(past: seen, atMost: .milliseconds(20))
    #expect(changes.generation == seen)
    #expect(changes.waiterCount == 0)
  }
}
