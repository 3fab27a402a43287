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

  /// Every registered route, parameters written `{name}` as in the OpenAPI document.
  func all() -> [(path: String, method: String)] {
    entries.withLock { entries in
      entries.map { entry in
        let path = entry.segments.map { segment in
          segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }
        return (path: "/" + path.joined(separator: "/"), method: entry.method)
      }
    }
  }

  /// Methods registered for the route the router would pick for `path` (`{param}` and `:param` match one segment).
  ///
  /// Hummingbird's trie prefers a constant segment over a parameter at the same position and does not backtrack,
  /// so `GET /commands/execute` never reaches `/commands/{requestId}`: the same preference applies here, or a 405
  /// would advertise methods that answer 404.
  func methods(matching path: String) -> [String] {
    let wanted = Self.segments(path)
    let found = entries.withLock { entries in
      var candidates = entries.filter { $0.segments.count == wanted.count }
      for (position, actual) in wanted.enumerated() {
        let constant = candidates.filter { $0.segments[position] == actual }
        candidates =
          constant.isEmpty
          ? candidates.filter { Self.isWildcard($0.segments[position]) }
          : constant
      }
      return candidates.map(\.method)
    }
    return Array(Set(found)).sorted()
  }

  private static func isWildcard(_ segment: Substring) -> Bool {
    segment.hasPrefix("{") || segment.hasPrefix(":") || segment == "*"
  }

  private static func segments(_ path: String) -> [Substring] {
    path.split(separator: "/", omittingEmptySubsequences: true)
  }
}
