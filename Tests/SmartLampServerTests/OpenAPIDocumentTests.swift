import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// The served OpenAPI document and the router must list exactly the same operations.
@Suite struct OpenAPIDocumentTests {
  static func normalise(_ path: String) -> String {
    path.split(separator: "/", omittingEmptySubsequences: true).map { segment in
      segment.hasPrefix(":") || segment.hasPrefix("{") ? "{}" : String(segment)
    }.reduce("") { $0 + "/" + $1 }
  }

  @Test func documentMatchesTheRouter() async throws {
    let server = TestServer()
    let database = try await StoreBootstrap.open(configuration: server.configuration, logger: Logger.quiet())
    let logger = Logger.quiet()
    let services = AppServices(
      configuration: server.configuration, database: database, logger: logger,
      accounts: try await AccountsServices(configuration: server.configuration, database: database, logger: logger),
      lamps: try await LampServices(configuration: server.configuration, database: database, logger: logger))
    let router = buildRouter(services)
    let served = Set(
      router.routes.filter { $0.method != .head && $0.method != .options }
        .map { "\($0.method.rawValue) \(Self.normalise($0.path.description))" })

    let document = try #require(OpenAPIRoutes.document)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(document.readableBytesView)) as? [String: Any])
    #expect(json["openapi"] as? String == "3.1.0")
    let paths = try #require(json["paths"] as? [String: [String: Any]])
    var documented: Set<String> = []
    for (path, operations) in paths {
      for method in operations.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
        documented.insert("\(method.uppercased()) \(Self.normalise(path))")
      }
    }
    #expect(served.subtracting(documented).sorted() == [], "served but not documented")
    #expect(documented.subtracting(served).sorted() == [], "documented but not served")
    try await database.close()
  }

  @Test func documentIsServedBare() async throws {
    try await TestServer().run { client in
      try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
        #expect(response.status == .ok)
        let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        #expect(json?["openapi"] as? String == "3.1.0")
        #expect(json?["success"] == nil)
      }
    }
  }
}
