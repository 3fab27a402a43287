import Foundation
import Hummingbird

/// Serves the dashboard's files for GET/HEAD outside `/api`: real files with their MIME type and an ETag,
/// `index.html` for client-side routes (paths without an extension). Paths are decoded and checked segment by
/// segment, then resolved and required to stay inside the dashboard folder, so traversal is impossible.
struct DashboardMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let root: String

  init(directory: String) {
    root = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
  }

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    let path = request.uri.path
    guard request.method == .get || request.method == .head, !Self.isServerPath(path) else {
      return try await next(request, context)
    }
    guard let relative = Self.safeRelativePath(request.uri.path) else {
      throw APIError.notFound("Not found")
    }
    if let response = try serve(relative: relative.isEmpty ? "index.html" : relative, request: request) {
      return response
    }
    // Not a file: client-side routes (no extension) get the app shell; missing assets stay 404.
    if !relative.split(separator: "/").last.map({ $0.contains(".") }).orFalse,
      let shell = try serve(relative: "index.html", request: request)
    {
      return shell
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

  private func serve(relative: String, request: Request) throws -> Response? {
    let candidate = URL(fileURLWithPath: root).appendingPathComponent(relative).standardizedFileURL
      .resolvingSymlinksInPath().path
    guard candidate.hasPrefix(root + "/") else { return nil }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
      let attributes = try? FileManager.default.attributesOfItem(atPath: candidate)
    else { return nil }
    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
    let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    let etag = "W/\"\(String(size, radix: 16))-\(String(Int(modified * 1000), radix: 16))\""
    var headers = HTTPFields()
    headers[.contentType] = Self.mimeType(for: candidate)
    headers[.eTag] = etag
    // No build step means no content-hashed names: always revalidate, the ETag makes that a cheap 304.
    headers[.cacheControl] = "no-cache"
    if let match = request.headers[.ifNoneMatch],
      match.split(separator: ",").contains(where: {
        $0.trimmingCharacters(in: .whitespaces) == etag
      })
    {
      return Response(status: .notModified, headers: headers)
    }
    guard let data = FileManager.default.contents(atPath: candidate) else { return nil }
    headers[.contentLength] = String(data.count)
    if request.method == .head { return Response(status: .ok, headers: headers) }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  static func mimeType(for path: String) -> String {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "html", "htm": return "text/html; charset=utf-8"
    case "js", "mjs": return "text/javascript; charset=utf-8"
    case "css": return "text/css; charset=utf-8"
    case "json", "map": return "application/json; charset=utf-8"
    case "webmanifest": return "application/manifest+json"
    case "svg": return "image/svg+xml"
    case "png": return "image/png"
    case "jpg", "jpeg": return "image/jpeg"
    case "ico": return "image/x-icon"
    case "woff2": return "font/woff2"
    case "txt": return "text/plain; charset=utf-8"
    default: return "application/octet-stream"
    }
  }
}

extension Optional where Wrapped == Bool {
  fileprivate var orFalse: Bool { self ?? false }
}
