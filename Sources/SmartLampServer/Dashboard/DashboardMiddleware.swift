import Foundation
import Hummingbird

/// Serves the dashboard for GET/HEAD outside `/api`: `index.html` at `/` and for client-side routes (paths without
/// an extension), the root files (`sw.js`, `manifest.webmanifest`) and every file under `/assets/<hash>/…`, which
/// is cached for a year because the hash changes with any file. The page itself is `no-cache`. Paths are decoded
/// and checked segment by segment, so traversal is impossible.
struct DashboardMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let files: DashboardFiles

  static let immutable = "public, max-age=31536000, immutable"

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    let path = request.uri.path
    guard request.method == .get || request.method == .head, !Self.isServerPath(path) else {
      return try await next(request, context)
    }
    guard let relative = Self.safeRelativePath(path) else {
      throw APIError.notFound("Not found")
    }
    let segments = relative.split(separator: "/", maxSplits: 2)
    if segments.count == 3, segments[0] == "assets" {
      // An asset of this version is immutable; one named by an older hash (a tab open across an upgrade) gets
      // today's file, revalidated.
      let current = segments[1] == files.hash
      if let file = files.file(String(segments[2])) {
        return respond(file, request: request, cacheControl: current ? Self.immutable : "no-cache")
      }
      return try await next(request, context)
    }
    if let file = files.file(relative.isEmpty ? "index.html" : relative) {
      return respond(file, request: request, cacheControl: "no-cache")
    }
    // Not a file: client-side routes (no extension) get the app shell; missing assets stay 404.
    if !(relative.split(separator: "/").last?.contains(".") ?? false), let shell = files.file("index.html") {
      return respond(shell, request: request, cacheControl: "no-cache")
    }
    return try await next(request, context)
  }

  static func isServerPath(_ path: String) -> Bool {
    path == "/api" || path.hasPrefix("/api/") || path == "/health" || path == "/metrics"
  }

  /// The request path as a relative file path, or nil when any segment could escape the folder.
  static func safeRelativePath(_ rawPath: String) -> String? {
    guard let decoded = rawPath.removingPercentEncoding, !decoded.contains("\0"), !decoded.contains("\\") else {
      return nil
    }
    var segments: [Substring] = []
    for segment in decoded.split(separator: "/", omittingEmptySubsequences: true) {
      if segment == "." || segment == ".." || segment.hasPrefix(".") { return nil }
      segments.append(segment)
    }
    return segments.joined(separator: "/")
  }

  private func respond(_ file: DashboardFiles.File, request: Request, cacheControl: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = file.contentType
    headers[.eTag] = file.etag
    headers[.cacheControl] = cacheControl
    if let match = request.headers[.ifNoneMatch],
      match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag })
    {
      return Response(status: .notModified, headers: headers)
    }
    headers[.contentLength] = String(file.body.readableBytes)
    if request.method == .head { return Response(status: .ok, headers: headers) }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.body))
  }
}
