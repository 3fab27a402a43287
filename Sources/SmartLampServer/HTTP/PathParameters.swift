import Hummingbird

extension RequestContext {
  /// A numeric path parameter (a row id), or `400 VALIDATION_ERROR` naming it.
  func idParameter(_ name: String) throws(APIError) -> Int64 {
    guard let text = parameters.get(name), text.count <= 19, let id = Int64(text), id > 0 else {
      throw APIError.validation("Invalid \(name)", fieldErrors: [name: ["must be a positive integer"]])
    }
    return id
  }
}
