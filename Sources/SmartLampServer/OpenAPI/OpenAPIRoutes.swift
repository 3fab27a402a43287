import Foundation
import Hummingbird

/// `GET /api/v1/openapi.json`: the hand-maintained OpenAPI document, served bare (not enveloped) as upstream.
/// A test keeps it equal to the router's routes.
struct OpenAPIRoutes: Sendable {
  /// Embedded in the binary at build time (see the EmbedDashboard plugin).
  static let document: ByteBuffer? = Data(base64Encoded: EmbeddedFiles.openAPIBase64).map { ByteBuffer(bytes: $0) }

  /// Public.
  func add(to api: RouterGroup<AppRequestContext>) {
    api.get("openapi.json") { _, _ -> Response in
      guard let document = Self.document else { throw APIError.internalError() }
      return Response(
        status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
        body: .init(byteBuffer: document))
    }
  }
}
