import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SmartLampServer

/// The one way tests call the API: a method and path, how the caller authenticates, an optional body and
/// headers, answered by a ``Reply``. The accounts helpers (`TestClientProtocol.call`) and the lamp environment
/// (`LampEnv.call`) are shorthands for it; the command-line tests call a `smartlamp serve` child process through
/// ``port(_:)``.
package struct APIClient: Sendable {
  private enum Transport: Sendable {
    case client(any TestClientProtocol)
    case port(Int)
  }

  private let transport: Transport

  /// Through a Hummingbird test client, on the router or on a live port.
  package init(_ client: any TestClientProtocol) {
    transport = .client(client)
  }

  /// A fresh connection to `port` for every call, so that concurrent calls never wait on one another's connection.
  package static func port(_ port: Int) -> APIClient {
    APIClient(transport: .port(port))
  }

  private init(transport: Transport) {
    self.transport = transport
  }

  /// A request body: a JSON value the client encodes, or text sent byte for byte (malformed bodies included).
  package enum Body: Sendable {
    case json(JSONValue)
    case text(String)
  }

  package func call(
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
package struct Session: Sendable {
  package var accessToken: String
  package var refreshToken: String

  package init(accessToken: String, refreshToken: String) {
    self.accessToken = accessToken
    self.refreshToken = refreshToken
  }
}

/// How a request authenticates.
package enum Credential: Sendable {
  case none
  case cookie(Session)
  case bearer(String)
  /// Only the refresh cookie (for refresh and logout).
  case refresh(String)
}

/// An answer: its status and headers, its bytes, and those bytes read as JSON and as an envelope.
package struct Reply: Sendable {
  package let status: HTTPResponse.Status
  package let headers: HTTPFields
  /// The body byte for byte.
  package let raw: Data
  /// The body as JSON (`.null` when it is not JSON).
  package let body: JSONValue

  package init(status: HTTPResponse.Status, headers: HTTPFields, raw: Data) {
    self.status = status
    self.headers = headers
    self.raw = raw
    body = (try? JSONDecoder().decode(JSONValue.self, from: raw)) ?? .null
  }

  /// The body as text, for messages in failed expectations and substring checks.
  package var text: String { String(decoding: raw, as: UTF8.self) }

  package var envelope: EnvelopeProbe? { try? JSONDecoder().decode(EnvelopeProbe.self, from: raw) }
  package var code: String? { envelope?.error?.code }
  package var data: JSONValue? { envelope?.data }

  /// Every `Set-Cookie` value by cookie name (the last one wins).
  package var cookies: [String: String] {
    var result: [String: String] = [:]
    for header in headers[values: .setCookie] {
      guard let first = header.split(separator: ";").first, let eq = first.firstIndex(of: "=") else { continue }
      result[String(first[..<eq])] = String(first[first.index(after: eq)...])
    }
    return result
  }

  package var session: Session? {
    guard let access = cookies["auth_token"], let refresh = cookies["refresh_token"], !access.isEmpty else {
      return nil
    }
    return Session(accessToken: access, refreshToken: refresh)
  }
}
