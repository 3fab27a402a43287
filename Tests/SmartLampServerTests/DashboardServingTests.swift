import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
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

  @Test func versionedAssetsAreImmutableAndThePageNamesThem() async throws {
    var server = TestServer()
    let dashboard = server.directory.file("versioned")
    try FileManager.default.createDirectory(atPath: dashboard + "/js", withIntermediateDirectories: true)
    try #"<script type="module" src="{{ASSETS}}/js/app.js"></script><p>{{VERSION}}</p>"#.write(
      toFile: dashboard + "/index.html", atomically: true, encoding: .utf8)
    try "export const x = 1".write(toFile: dashboard + "/js/app.js", atomically: true, encoding: .utf8)
    server.configuration.dashboardDirectory = dashboard
    let hash = DashboardFiles.directory(dashboard).hash
    try await server.run { client in
      try await client.execute(uri: "/", method: .get) { response in
        #expect(response.headers[.cacheControl] == "no-cache")
        let page = String(buffer: response.body)
        #expect(page.contains("src=\"/assets/\(hash)/js/app.js\""), "\(page)")
        #expect(page.contains("<p>\(SmartLampVersion.version)</p>"))
      }
      try await client.execute(uri: "/assets/\(hash)/js/app.js", method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
        #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
        #expect(String(buffer: response.body) == "export const x = 1")
      }
      // A tab opened before an upgrade asks for the old hash: it gets today's file, not cached for long.
      try await client.execute(uri: "/assets/0123456789ab/js/app.js", method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.cacheControl] == "no-cache")
      }
      try await client.execute(uri: "/assets/\(hash)/js/missing.js", method: .get) { response in
        #expect(response.status == .notFound)
      }
    }
    // Any edit to the folder changes the hash, so browsers fetch the new files.
    try "export const x = 2".write(toFile: dashboard + "/js/app.js", atomically: true, encoding: .utf8)
    try "export const y = 1".write(toFile: dashboard + "/js/new.js", atomically: true, encoding: .utf8)
    #expect(DashboardFiles.directory(dashboard).hash != hash)
  }

  /// Without `dashboard.dir` the server serves the copy of `Dashboard/` built into the binary, byte for byte.
  @Test func theBuiltInDashboardIsTheRepositoryFolder() async throws {
    let root = repositoryRoot + "/Dashboard"
    let paths = try FileManager.default.subpathsOfDirectory(atPath: root).filter { path in
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory)
        && !isDirectory.boolValue && !path.split(separator: "/").contains { $0.hasPrefix(".") }
    }
    #expect(paths.contains("index.html"))
    let hash = DashboardFiles.embedded.hash
    try await TestServer { $0.dashboardDirectory = nil }.run(.router) { client in
      for path in paths {
        var expected = try Data(contentsOf: URL(fileURLWithPath: root + "/" + path))
        if DashboardFiles.rootFiles.contains(path) {
          expected = Data(
            String(decoding: expected, as: UTF8.self).replacingOccurrences(of: "{{ASSETS}}", with: "/assets/\(hash)")
              .replacingOccurrences(of: "{{VERSION}}", with: SmartLampVersion.version).utf8)
        }
        try await client.execute(uri: "/assets/\(hash)/\(path)", method: .get) { response in
          #expect(response.status == .ok, "\(path)")
          #expect(Data(response.body.readableBytesView) == expected, "\(path)")
        }
      }
      try await client.execute(uri: "/", method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
      }
    }
  }
}
