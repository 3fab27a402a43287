import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

@testable import SmartLampServer

/// The one way server tests call the API: a method and path, how the caller authenticates, an optional body and
/// headers, answered by a ``Reply``. The accounts helpers (`TestClientProtocol.call`) and the lamp environment
/// (`LampEnv.call`) are shorthands for it.
struct APIClient: Sendable {
  private enum Transport: Sendable {
    case client(any TestClientProtocol)
    case port(Int)
  }

  private let transport: Transport

  /// Through a Hummingbird test client, on the router or on a live port.
  init(_ client: any TestClientProtocol) {
    transport = .client(client)
  }

  /// A fresh connection to `port` for every call, so that concurrent calls never wait on one another's connection.
  static func port(_ port: Int) -> APIClient {
    APIClient(transport: .port(port))
  }

  private init(transport: Transport) {
    self.transport = transport
  }

  /// A request body: a JSON value the client encodes, or text sent byte for byte (malformed bodies included).
  enum Body: Sendable {
    case json(JSONValue)
    case text(String)
  }

  func call(
    _ method: HTTPRequest.Method, _ path: String, as credential: Credential = .none, body: Body? = nil,
    idempotencyKey: String? = nil, headers extra: HTTPFields = [:]
  ) async throws -> Reply {
    var headers = extra
    switch credential {
    case .none: break
    case .cookie(let session):
      headers[.cookie] = "auth_token=\(session.accessToken); refresh_token=\(session.refreshToken)"
    case .bearer(let token): headers[.authorization] = "Bearer \(token)"
    case .refresh(let token): headers[.cookie] = "refresh_token=\(token)"
    }
    if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
    var bytes: ByteBuffer?
    switch body {
    case nil: break
    case .json(let value): bytes = ByteBuffer(data: try JSONEncoder().encode(value))
    case .text(let text): bytes = ByteBuffer(string: text)
    }
    if bytes != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
    switch transport {
    case .client(let client):
      let response = try await client.execute(uri: path, method: method, headers: headers, body: bytes) { $0 }
      return Reply(status: response.status, headers: response.headers, raw: Data(response.body.readableBytesView))
    case .port(let port):
      let request = TestClient.Request(path, method: method, headers: headers, body: bytes)
      let response = try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
        try await client.execute(request)
      }
      return Reply(
        status: response.status, headers: response.headers,
        raw: response.body.map { Data($0.readableBytesView) } ?? Data())
    }
  }
}

/// The cookies a login or refresh handed out.
struct Session: Sendable {
  var accessToken: String
  var refreshToken: String
}

/// How a request authenticates.
enum Credential: Sendable {
  case none
  case cookie(Session)
  case bearer(String)
  /// Only the refresh cookie (for refresh and logout).
  case refresh(String)
}

/// An answer: its status and headers, its bytes, and those bytes read as JSON and as an envelope.
struct Reply: Sendable {
  let status: HTTPResponse.Status
  let headers: HTTPFields
  /// The body byte for byte.
  let raw: Data
  /// The body as JSON (`.null` when it is not JSON).
  let body: JSONValue

  init(status: HTTPResponse.Status, headers: HTTPFields, raw: Data) {
    self.status = status
    self.headers = headers
    self.raw = raw
    body = (try? JSONDecoder().decode(JSONValue.self, from: raw)) ?? .null
  }

  var envelope: EnvelopeProbe? { try? JSONDecoder().decode(EnvelopeProbe.self, from: raw) }
  var code: String? { envelope?.error?.code }
  var data: JSONValue? { envelope?.data }

  /// Every `Set-Cookie` value by cookie name (the last one wins).
  var cookies: [String: String] {
    var result: [String: String] = [:]
    for header in headers[values: .setCookie] {
      guard let first = header.split(separator: ";").first, let eq = first.firstIndex(of: "=") else { continue }
      result[String(first[..<eq])] = String(first[first.index(after: eq)...])
    }
    return result
  }

  var session: Session? {
    guard let access = cookies["auth_token"], let refresh = cookies["refresh_token"], !access.isEmpty else {
      return nil
    }
    return Session(accessToken: access, refreshToken: refresh)
  }
}
