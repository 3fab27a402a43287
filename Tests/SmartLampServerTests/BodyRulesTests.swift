import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServerTestSupport
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// CONTRACT §1 body rules, through the real middleware stack with a probe route that reads its body with
/// `BodyFields`, as every route does.
@Suite struct BodyRulesTests {
  struct Probe: Encodable {
    let name: String
    let count: Int
    let flag: Bool?
  }

  func withProbeApp(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let server = TestServer()
    let database = try await StoreBootstrap.open(configuration: server.configuration, logger: Logger.quiet())
    let services = AppServices(
      configuration: server.configuration, database: database, logger: Logger.quiet(),
      accounts: try await AccountsServices(
        configuration: server.configuration, database: database, logger: Logger.quiet()),
      lamps: try await LampServices(
        configuration: server.configuration, database: database, logger: Logger.quiet()))
    let router = Router(context: AppRequestContext.self)
    addMiddleware(to: router, services)
    router.post("/api/v1/probe") { request, context -> Response in
      var fields = try await request.bodyFields()
      let name = fields.string("name", required: true)
      let count = fields.int("count", in: Int.min...Int.max, required: true)
      let flag = fields.bool("flag")
      try fields.finish()
      guard let name, let count else { throw APIError.validation() }
      return try EnvelopeResponse.success(Probe(name: name, count: count, flag: flag), requestID: context.requestID)
    }
    router.get("/api/v1/boom") { _, _ -> Response in
      struct Secret: Error { let text = "password=hunter2 at /internal/path" }
      throw Secret()
    }
    services.routes.set(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    try await app.test(.live, body)
    try await database.close()
  }

  static let json: HTTPFields = [.contentType: "application/json"]

  @Test func validBodyIsDecoded() async throws {
    try await withProbeApp { client in
      try await client.execute(
        uri: "/api/v1/probe", method: .post, headers: Self.json,
        body: ByteBuffer(string: #"{"name":"Lampu 💡","count":2,"unknown":"ignored"}"#)
      ) { response in
        #expect(response.status == .ok)
        let envelope = try EnvelopeProbe(response)
        #expect(envelope.data?["name"]?.string == "Lampu 💡")
      }
    }
  }

  @Test func missingOrWrongContentTypeIs415() async throws {
    try await withProbeApp { client in
      for headers: HTTPFields in [
        [:], [.contentType: "text/plain"], [.contentType: "application/x-www-form-urlencoded"],
      ] {
        try await client.execute(
          uri: "/api/v1/probe", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"a","count":1}"#)
        ) { response in
          #expect(response.status == .unsupportedMediaType)
          let probe = try EnvelopeProbe(response)
          #expect(probe.error?.code == "UNSUPPORTED_MEDIA_TYPE")
        }
      }
      try await client.execute(
        uri: "/api/v1/probe", method: .post, headers: [.contentType: "application/json; charset=utf-8"],
        body: ByteBuffer(string: #"{"name":"a","count":1}"#)
      ) { response in
        #expect(response.status == .ok)
      }
    }
  }

  @Test func oversizedBodyIs413() async throws {
    try await withProbeApp { client in
      let big = #"{"name":""# + String(repeating: "x", count: 70_000) + #"","count":1}"#
      try await client.execute(uri: "/api/v1/probe", method: .post, headers: Self.json, body: ByteBuffer(string: big)) {
        response in
        #expect(response.status == .contentTooLarge)
        let probe = try EnvelopeProbe(response)
        #expect(probe.error?.code == "PAYLOAD_TOO_LARGE")
      }
    }
  }

  @Test func emptyMalformedAndMistypedBodiesAre400NamingTheField() async throws {
    try await withProbeApp { client in
      let cases: [(String, String, String?)] = [
        ("", "Request body is required", nil),
        ("{not json", "Invalid JSON body", nil),
        (#"{"name":"a"}"#, "Validation failed", "count"),
        (#"{"name":5,"count":1}"#, "Validation failed", "name"),
        (#"{"name":"a","count":"two"}"#, "Validation failed", "count"),
        (#"{"name":"a","count":1,"flag":"yes"}"#, "Validation failed", "flag"),
        (#"{"name":null,"count":1}"#, "Validation failed", "name"),
        ("[1,2]", "Validation failed", "body"),
      ]
      for (body, message, field) in cases {
        try await client.execute(
          uri: "/api/v1/probe", method: .post, headers: Self.json, body: ByteBuffer(string: body)
        ) {
          response in
          #expect(response.status == .badRequest, "\(body)")
          let envelope = try EnvelopeProbe(response)
          #expect(envelope.error?.code == "VALIDATION_ERROR")
          #expect(envelope.error?.message == message, "\(body)")
          if let field {
            #expect(envelope.error?.details?["fieldErrors"]?[field] != nil, "\(body) should name \(field)")
          }
        }
      }
    }
  }

  @Test func unexpectedErrorsAre500WithoutLeakingInternals() async throws {
    try await withProbeApp { client in
      try await client.execute(uri: "/api/v1/boom", method: .get) { response in
        #expect(response.status == .internalServerError)
        let text = String(buffer: response.body)
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("/internal/path"))
        let envelope = try EnvelopeProbe(response)
        #expect(envelope.error?.code == "INTERNAL_ERROR")
        #expect(envelope.error?.message == "Internal server error")
        #expect(envelope.meta.requestId == response.headers[.init("X-Request-Id")!])
      }
    }
  }
}
