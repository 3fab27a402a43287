import Hummingbird
import Synchronization

/// The registered routes, filled once after the router is built, so errors can tell 404 from 405 and the OpenAPI
/// test can compare the document with what is really served.
final class RouteTable: Sendable {
  private let entries = Mutex<[(segments: [Substring], method: String)]>([])

  func set(_ routes: [(path: String, method: String)]) {
    let parsed = routes.map { (segments: Self.segments($0.path), method: $0.method) }
    entries.withLock { $0 = parsed }
  }

  /// Methods registered for templates that match `path` (`{param}` and `:param` match one segment).
  func methods(matching path: String) -> [String] {
    let wanted = Self.segments(path)
    let found = entries.withLock { entries in
      entries.filter { entry in
        entry.segments.count == wanted.count
          && zip(entry.segments, wanted).allSatisfy { template, actual in
            template.hasPrefix("{") || template.hasPrefix(":") || template == "*" || template == actual
          }
      }.map(\.method)
    }
    return Array(Set(found)).sorted()
  }

  private static func segments(_ path: String) -> [Substring] {
    path.split(separator: "/", omittingEmptySubsequences: true)
  }
}
