import HTTPTypes

/// The errors of the domain, named once: services and routes throw these, so each code has one message.
extension APIError {
  static func deviceNotFound(_ id: String) -> APIError {
    APIError(.notFound, code: "DEVICE_NOT_FOUND", message: "Device not found", details: ["deviceId": .string(id)])
  }

  static func userNotFound(_ message: String = "User not found") -> APIError {
    APIError(.notFound, code: "USER_NOT_FOUND", message: message)
  }

  static func notFound(_ what: String, code: String = "NOT_FOUND") -> APIError {
    APIError(.notFound, code: code, message: "\(what) not found")
  }

  /// `409 ALREADY_EXISTS` naming the field that must be unique.
  static func alreadyExists(_ message: String, field: String) -> APIError {
    APIError(
      .conflict, code: "ALREADY_EXISTS", message: message,
      details: ["fieldErrors": [field: [.string(message)]]])
  }

  /// A business-rule refusal (upstream answers these as `400 VALIDATION_ERROR` with a message).
  static func rule(_ message: String, details: [String: JSONValue] = [:]) -> APIError {
    APIError(.badRequest, code: "VALIDATION_ERROR", message: message, details: details)
  }

  /// A device with a secret whose MQTT id cannot go into a signed envelope (the firmware's id alphabet).
  static func unsignable(_ id: String) -> APIError {
    rule(
      "Signed commands need an mqttDeviceId of 1–64 characters A-Z a-z 0-9 . _ : -",
      details: ["deviceId": .string(id)])
  }

  static func brokerUnavailable() -> APIError {
    var headers = HTTPFields()
    headers[.retryAfter] = "5"
    return APIError(
      .serviceUnavailable, code: "BROKER_UNAVAILABLE", message: "The MQTT broker is not available", headers: headers)
  }

  static func databaseUnavailable() -> APIError {
    var headers = HTTPFields()
    headers[.retryAfter] = "2"
    return APIError(
      .serviceUnavailable, code: "DATABASE_UNAVAILABLE", message: "The database is not available", headers: headers)
  }

  /// The database's disk is full: writes fail until space is freed; reads keep working.
  static func storageFull() -> APIError {
    var headers = HTTPFields()
    headers[.retryAfter] = "30"
    return APIError(
      .serviceUnavailable, code: "STORAGE_FULL",
      message: "The server's storage is full: changes cannot be saved until disk space is freed", headers: headers)
  }

  /// `POST /setup` once an active admin exists.
  static let setupAlreadyDone = APIError(
    .conflict, code: "SETUP_ALREADY_DONE", message: "An administrator exists already; sign in instead")

  /// `POST /setup` with a wrong, missing or spent setup code (counted like a failed login).
  static func setupCodeInvalid(headers: HTTPFields) -> APIError {
    APIError(
      .forbidden, code: "SETUP_CODE_INVALID", message: "The setup code is wrong or was already used", headers: headers)
  }

  static func commandNotFound() -> APIError {
    APIError(.notFound, code: "NOT_FOUND", message: "Command not found")
  }

  static func apiClientNotFound() -> APIError {
    APIError(.notFound, code: "NOT_FOUND", message: "API client not found")
  }

  // MARK: schedules

  static func scheduleNotFound(_ id: String) -> APIError {
    APIError(
      .notFound, code: "SCHEDULE_NOT_FOUND", message: "Schedule not found", details: ["scheduleId": .string(id)])
  }

  /// A schedule definition the engine refuses: upstream's shape ("Schedule validation failed", `details.code`) plus
  /// our field errors.
  static func scheduleInvalid(code: String, field: String, message: String) -> APIError {
    let fields = JSONValue.object([field: .array([.string(message)])])
    return APIError(
      .badRequest, code: code, message: "Schedule validation failed",
      details: ["code": .string(code), "fieldErrors": fields])
  }

  static func scheduleTargetNotFound() -> APIError {
    APIError(.notFound, code: "USER_NOT_FOUND", message: "Target user not found or inactive")
  }

  static func scheduleTargetLacksPermission() -> APIError {
    APIError(
      .forbidden, code: "FORBIDDEN_DEVICE_ACCESS",
      message: "Target user needs schedule manage plus device control/manage permission")
  }

  static func scheduleTargetNeedsAdmin() -> APIError {
    APIError(
      .forbidden, code: "FORBIDDEN_ADMIN_REQUIRED", message: "Admin role required to assign schedules to other users")
  }
}
