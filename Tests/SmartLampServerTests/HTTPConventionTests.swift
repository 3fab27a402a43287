import Foundation
import Hummingbird
import HummingbirdTesting
import ServerTestSupport
import TestSupport
import Testing

@testable import SmartLampServer

/// CONTRACT §1–2 through the real server on a real socket and a real SQLite file.
@Suite struct HTTPConventionTests {
  @Test func healthAnswersTheEnvelope() async throws {
    try await TestServer().run { client in
      for path in ["/health", "/api/health"] {
        try await client.execute(uri: path, method: .get) { response in
          #expect(response.status == .ok)
          #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
          let envelope = try EnvelopeProbe(response)
          #expect(envelope.success)
          #expect(envelope.error == nil)
          #expect(envelope.data?["name"]?.string == "smartlamp-backend")
          #expect(envelope.data?["status"]?.string == "ok")
          #expect(envelope.meta.version == "v1")
          #expect(envelope.meta.timestamp.hasSuffix("Z"))
          #expect(envelope.meta.timestamp.contains("."))
          #expect(envelope.meta.requestId == response.headers[.init("X-Request-Id")!])
        }
      }
    }
  }

  @Test func envelopeAlwaysCarriesDataAndErrorKeys() async throws {
    try await TestServer().run { client in
      try await client.execute(uri: "/api/health", method: .get) { response in
        let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
        #expect(Set(object.keys) == ["success", "data", "error", "meta"])
        #expect(object["error"] is NSNull)
      }
    }
  }

  @Test func unknownAPIRouteIsAnEnveloped404() async throws {
    try await TestServer().run { client in
      for path in ["/api/v1/nope", "/api/v1/health/ready/extra", "/api"] {
        try await client.execute(uri: path, method: .get) { response in
          #expect(response.status == .notFound)
          let envelope = try EnvelopeProbe(response)
          #expect(!envelope.success)
          #expect(envelope.data == nil)
          #expect(envelope.error?.code == "NOT_FOUND")
        }
      }
      try await client.execute(uri: "/api/v1/nope", method: .post, body: ByteBuffer(string: "{}")) { response in
        #expect(response.status == .notFound)
        let probe = try EnvelopeProbe(response)
        #expect(probe.error?.code == "NOT_FOUND")
      }
    }
  }

  @Test func wrongMethodIsAnEnveloped405WithAllow() async throws {
    try await TestServer().run { client in
      try await client.execute(uri: "/api/health", method: .delete) { response in
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow]?.contains("GET") == true)
        let probe = try EnvelopeProbe(response)
        #expect(probe.error?.code == "METHOD_NOT_ALLOWED")
      }
    }
  }

  /// A constant path segment wins over a `{param}` sibling in the router, so `Allow` names only the methods of the
  /// route that really matched (found by schemathesis: `Allow: GET, POST` on `/commands/execute`, GET answering 404).
  @Test func allowNamesOnlyTheMethodsOfTheMatchedRoute() async throws {
    try await TestServer().run { client in
      for (uri, method, allowed) in [
        ("/api/v1/commands/execute", HTTPRequest.Method.get, "POST"),
        ("/api/v1/commands/execute", .put, "POST"),
        ("/api/v1/devices/discovery", .delete, "GET"),
        ("/api/v1/devices/discovery", .patch, "GET"),
        ("/api/v1/devices/lamp-1", .put, "DELETE, GET, PATCH"),
      ] {
        try await client.execute(uri: uri, method: method) { response in
          #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
          #expect(response.headers[.allow] == allowed, "\(method) \(uri)")
        }
      }
    }
  }

  @Test func requestIDIsEchoedWhenWellFormedAndReplacedOtherwise() async throws {
    try await TestServer().run { client in
      let good = "abc-123_x.y:z"
      try await client.execute(uri: "/api/health", method: .get, headers: [.init("X-Request-Id")!: good]) {
        response in
        #expect(response.headers[.init("X-Request-Id")!] == good)
        let probe = try EnvelopeProbe(response)
        #expect(probe.meta.requestId == good)
      }
      for bad in ["has space", String(repeating: "a", count: 129), "semi;colon", "ünï"] {
        try await client.execute(uri: "/api/health", method: .get, headers: [.init("X-Request-Id")!: bad]) {
          response in
          let echoed = response.headers[.init("X-Request-Id")!] ?? ""
          #expect(echoed != bad)
          #expect(UUID(uuidString: echoed) != nil)
          let probe = try EnvelopeProbe(response)
          #expect(probe.meta.requestId == echoed)
        }
      }
      try await client.execute(uri: "/api/v1/nope", method: .get) { response in
        let echoed = response.headers[.init("X-Request-Id")!]
        #expect(echoed != nil)
        let probe = try EnvelopeProbe(response)
        #expect(probe.meta.requestId == echoed)
      }
    }
  }

  @Test func freshRequestIDsAreDistinctVersion4UUIDs() {
    let ids = (0..<2000).map { _ in RequestIDMiddleware.freshID() }
    #expect(Set(ids).count == ids.count)
    for id in ids {
      let parsed = UUID(uuidString: id)
      #expect(parsed?.uuidString.lowercased() == id)
      let characters = Array(id)
      #expect(characters[14] == "4")
      #expect("89ab".contains(characters[19]))
    }
  }

  @Test func securityHeaders() async throws {
    try await TestServer().run { client in
      try await client.execute(uri: "/api/health", method: .get) { response in
        #expect(response.headers[.xContentTypeOptions] == "nosniff")
        #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
        #expect(response.headers[.init("Referrer-Policy")!] == "no-referrer")
      }
      try await client.execute(uri: "/", method: .get) { response in
        let csp = response.headers[.contentSecurityPolicy] ?? ""
        #expect(csp.contains("script-src 'self'"))
        #expect(csp.contains("frame-ancestors 'none'"))
        #expect(response.headers[.xContentTypeOptions] == "nosniff")
      }
    }
  }

  @Test func corsAllowsOnlyListedOrigins() async throws {
    let server = TestServer { $0.allowedOrigins = ["https://home.example"] }
    try await server.run { client in
      try await client.execute(uri: "/api/health", method: .get, headers: [.origin: "https://home.example"]) {
        response in
        #expect(response.headers[.accessControlAllowOrigin] == "https://home.example")
        #expect(response.headers[.accessControlAllowCredentials] == "true")
        #expect(response.headers[.accessControlExposeHeaders]?.contains("X-Request-Id") == true)
      }
      try await client.execute(uri: "/api/health", method: .get, headers: [.origin: "https://evil.example"]) {
        response in
        #expect(response.headers[.accessControlAllowOrigin] == nil)
      }
      let preflight: HTTPFields = [
        .origin: "https://home.example", .accessControlRequestMethod: "POST",
        .accessControlRequestHeaders: "content-type",
      ]
      try await client.execute(uri: "/api/v1/commands/execute", method: .options, headers: preflight) { response in
        #expect(response.status == .noContent)
        #expect(response.headers[.accessControlAllowOrigin] == "https://home.example")
        #expect(response.headers[.accessControlAllowMethods]?.contains("POST") == true)
        #expect(response.headers[.accessControlMaxAge] == "600")
      }
      var foreign = preflight
      foreign[.origin] = "https://evil.example"
      try await client.execute(uri: "/api/v1/commands/execute", method: .options, headers: foreign) { response in
        #expect(response.headers[.accessControlAllowOrigin] == nil)
        #expect(response.headers[.accessControlAllowMethods] == nil)
      }
    }
  }

  @Test func readinessNamesTheFailingPart() async throws {
    // No broker listens on this port: not ready, and the answer says which part is missing.
    let server = TestServer { $0.mqttURL = "mqtt://127.0.0.1:\(freePort())" }
    try await server.run { client in
      try await client.execute(uri: "/api/v1/health/ready", method: .get) { response in
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.retryAfter] != nil)
        let envelope = try EnvelopeProbe(response)
        #expect(envelope.error?.code == "NOT_READY")
        #expect(envelope.error?.message.contains("broker") == true)
        #expect(envelope.error?.details?["checks"]?["database"]?["status"]?.string == "ok")
        #expect(envelope.error?.details?["checks"]?["broker"]?["status"]?.string == "fail")
      }
    }
  }

  @Test func readyWithDatabaseAndRealBroker() async throws {
    try await MosquittoBroker.with { broker in
      let server = TestServer {
        $0.mqttURL = "mqtt://127.0.0.1:\(broker.tcpPort)"
        $0.mqttUsername = broker.username
        $0.mqttPassword = broker.password
      }
      try await server.run { client in
        try await poll("broker connected") {
          try await client.execute(uri: "/api/v1/health/ready", method: .get) { $0.status == .ok }
        }
        try await client.execute(uri: "/api/v1/health/ready", method: .get) { response in
          let envelope = try EnvelopeProbe(response)
          #expect(envelope.data?["status"]?.string == "ready")
          #expect(envelope.data?["checks"]?["database"]?["status"]?.string == "ok")
          #expect(envelope.data?["checks"]?["broker"]?["status"]?.string == "ok")
        }
      }
    }
  }
}
