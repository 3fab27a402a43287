import Foundation

/// A scope of an API key. `*` (``APIScopes/all``) grants every scope.
public enum APIScope: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  case read
  case command
  case schedule
  case admin

  public static func < (lhs: Self, rhs: Self) -> Bool {
    allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
  }
}

/// The scope set of an API key, stored as CSV text (`read,command` or `*`) in `integration_clients.scopes`.
public struct APIScopes: Sendable, Hashable, Codable {
  public let scopes: Set<APIScope>
  /// True for `*`: every scope, including ones added later.
  public let isWildcard: Bool

  public init(_ scopes: Set<APIScope>) {
    self.scopes = scopes
    self.isWildcard = false
  }

  public static let all = APIScopes(wildcard: ())
  private init(wildcard: Void) {
    scopes = Set(APIScope.allCases)
    isWildcard = true
  }

  public func contains(_ scope: APIScope) -> Bool { isWildcard || scopes.contains(scope) }

  /// Parses stored CSV leniently: unknown words are ignored (a key never gains a scope it was not given).
  public init(csv: String) {
    let words = csv.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    if words.contains("*") {
      self = .all
    } else {
      self.init(Set(words.compactMap(APIScope.init(rawValue:))))
    }
  }

  /// Parses a submitted list strictly: every entry must be a known scope or `*`; the list must not be empty.
  public static func parse(_ values: [String]) -> Result<APIScopes, APIScopesError> {
    guard !values.isEmpty else { return .failure(.empty) }
    var set: Set<APIScope> = []
    for raw in values {
      let value = raw.trimmingCharacters(in: .whitespaces).lowercased()
      if value == "*" { return .success(.all) }
      guard let scope = APIScope(rawValue: value) else { return .failure(.unknown(raw)) }
      set.insert(scope)
    }
    return .success(APIScopes(set))
  }

  /// The stored form: `*` or the scopes in a fixed order joined by commas.
  public var csv: String {
    isWildcard ? "*" : scopes.sorted().map(\.rawValue).joined(separator: ",")
  }

  /// The scopes as JSON would list them.
  public var names: [String] { isWildcard ? ["*"] : scopes.sorted().map(\.rawValue) }
}

public enum APIScopesError: Error, Sendable, Equatable {
  case empty
  case unknown(String)
}
