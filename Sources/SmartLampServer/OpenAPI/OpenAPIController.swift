import Foundation
import Hummingbird

/// `GET /api/v1/openapi.json`: the hand-maintained OpenAPI document, served bare (not enveloped) as upstream.
/// A test keeps it equal to the router's routes.
struct OpenAPIController {
  static let document: ByteBuffer? = {
    guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
      let data = try? Data(contentsOf: url)
    else { return nil }
    return ByteBuffer(bytes: data)
  }()

  func addRoutes(to router: Router<AppRequestContext>) {
    router.get("/api/v1/openapi.json") { _, _ -> Response in
      guard let document = Self.document else { throw APIError.internalError() }
      return Response(
        status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
        body: .init(byteBuffer: document))
    }
  }
}
