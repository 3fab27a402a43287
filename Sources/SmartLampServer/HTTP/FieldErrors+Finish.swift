import SmartLampCore

extension FieldErrors {
  /// `400 VALIDATION_ERROR` with every recorded field error, if any: the end of checking query parameters, as
  /// ``BodyFields/finish()`` is for bodies.
  func finish() throws(APIError) {
    if !isEmpty { throw APIError.validation(fieldErrors: errors) }
  }
}
