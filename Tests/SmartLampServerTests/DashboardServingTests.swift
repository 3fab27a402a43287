import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import SmartLampServer

/// The dashboard folder served at `/`: files, SPA fallback, ETags, and no way out of the folder.
@Suite struct DashboardServingTests {
  @Test func servesFilesWithTypesAndETags() async throws {
    try await TestServer().run { client in
      let etag = try await client.execute(uri: "/assets/app.js", method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
        #expect(String(buffer: response.body) == "console.log('app')")
        return response.headers[.eTag]
      }
      #expect(etag != nil)
      try await client.execute(uri: "/assets/app.js", method: .get, headers: [.ifNoneMatch: etag ?? ""]) {
        response in
        #expect(response.status == .notModified)
        #expect(response.body.readableBytes == 0)
      }
      try await client.execute(uri: "/", method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        #expect(response.headers[.cacheControl] == "no-cache")
        #expect(String(buffer: response.body).contains("<title>SmartLamp</title>"))
      }
    }
  }

  @Test func clientRoutesGetTheAppShellButMissingAssetsDoNot() async throws {
    try await TestServer().run { client in
      try await client.execute(uri: "/devices/lampu-1", method: .get) { response in
        #expect(response.status == .ok)
        #expect(String(buffer: response.body).contains("<title>SmartLamp</title>"))
      }
      try await client.execute(uri: "/assets/missing.js", method: .get) { response in
        #expect(response.status == .notFound)
      }
      // API paths never fall back to HTML.
      try await client.execute(uri: "/api/v1/unknown", method: .get) { response in
        #expect(response.status == .notFound)
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
      }
    }
  }

  @Test(arguments: [
    "/../outside.txt", "/assets/../../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E%2Foutside.txt",
    "/assets/%2e%2e/%2e%2e/outside.txt", "/..%2foutside.txt", "/.%2e/outside.txt", "/assets/..%5c..%5coutside.txt",
    "/%00index.html", "/.hidden",
  ])
  func traversalNeverLeavesTheFolder(path: String) async throws {
    try await TestServer().run(.live) { client in
      try await client.execute(uri: path, method: .get) { response in
        #expect(!String(buffer: response.body).contains("secret"))
        #expect(response.status == .notFound || response.status == .badRequest || response.status == .ok)
        if response.status == .ok {
          // Normalised by the client or server to a harmless path: only the app shell may come back.
          #expect(String(buffer: response.body).contains("<title>SmartLamp</title>"))
        }
      }
    }
  }

  @Test func safePathRules() {
    #expect(DashboardMiddleware.safeRelativePath("/a/b.js") == "a/b.js")
    #expect(DashboardMiddleware.safeRelativePath("/") == "")
    #expect(DashboardMiddleware.safeRelativePath("/a/../b") == nil)
    #expect(DashboardMiddleware.safeRelativePath("/%2e%2e/x") == nil)
    #expect(DashboardMiddleware.safeRelativePath("/a%2f..%2f..%2fx") == nil)
    #expect(DashboardMiddleware.safeRelativePath("/a\\..\\x") == nil)
    #expect(DashboardMiddleware.safeRelativePath("/%00") == nil)
    #expect(DashboardMiddleware.safeRelativePath("/%zz") == nil)
  }
}
