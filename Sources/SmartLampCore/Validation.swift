import Foundation

/// Field rules for request bodies. Each helper records what is wrong into a ``FieldErrors`` and returns the
/// normalised value (trimmed) when the field is valid, so handlers check every field before any side effect.
public enum Validation {
  public static let maximumNameLength = 255
  public static let maximumEmailLength = 255
  public static let passwordLengths = 8...128

  /// A required or optional text field, trimmed, of `lengths` characters after trimming.
  public static func text(
    _ value: String?, field: String, lengths: ClosedRange<Int>, required: Bool = true,
    into errors: inout FieldErrors
  ) -> String? {
    guard let value else {
      if required { errors.add(field, "is required") }
      return nil
    }
    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.count < lengths.lowerBound {
      errors.add(
        field, lengths.lowerBound == 1 ? "must not be empty" : "must be at least \(lengths.lowerBound) characters")
      return nil
    }
    if trimmed.count > lengths.upperBound {
      errors.add(field, "must be at most \(lengths.upperBound) characters")
      return nil
    }
    if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      errors.add(field, "must not contain control characters")
      return nil
    }
    return trimmed
  }

  /// A person's or device's name: trimmed, 1–255 characters.
  public static func name(
    _ value: String?, field: String = "name", required: Bool = true, into errors: inout FieldErrors
  ) -> String? {
    text(value, field: field, lengths: 1...maximumNameLength, required: required, into: &errors)
  }

  /// A password: 8–128 characters, counted as given (spaces are part of a password, so nothing is trimmed).
  public static func password(
    _ value: String?, field: String = "password", required: Bool = true, into errors: inout FieldErrors
  ) -> String? {
    guard let value else {
      if required { errors.add(field, "is required") }
      return nil
    }
    if value.count < passwordLengths.lowerBound {
      errors.add(field, "must be at least \(passwordLengths.lowerBound) characters")
      return nil
    }
    if value.count > passwordLengths.upperBound {
      errors.add(field, "must be at most \(passwordLengths.upperBound) characters")
      return nil
    }
    return value
  }

  /// An email address, trimmed; stored as submitted, compared case-insensitively elsewhere.
  public static func email(
    _ value: String?, field: String = "email", required: Bool = true, into errors: inout FieldErrors
  ) -> String? {
    guard let value else {
      if required { errors.add(field, "is required") }
      return nil
    }
    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.count > maximumEmailLength {
      errors.add(field, "must be at most \(maximumEmailLength) characters")
      return nil
    }
    guard isValidEmail(trimmed) else {
      errors.add(field, "must be a valid email address")
      return nil
    }
    return trimmed
  }

  /// A pragmatic address check: `local@domain.tld`, no spaces or control characters, one `@`, a dotted domain of
  /// letters, digits and hyphens (labels not starting or ending with a hyphen), local part at most 64 characters.
  public static func isValidEmail(_ text: String) -> Bool {
    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2 else { return false }
    let local = parts[0]
    let domain = parts[1]
    guard !local.isEmpty, local.count <= 64, !domain.isEmpty, domain.count <= 253 else { return false }
    let localAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~.-")
    guard local.allSatisfy({ localAllowed.contains($0) }), local.first != ".", local.last != ".",
      !local.contains("..")
    else { return false }
    let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
    guard labels.count >= 2 else { return false }
    for label in labels {
      guard !label.isEmpty, label.count <= 63, label.first != "-", label.last != "-",
        label.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" })
      else { return false }
    }
    return labels.last.map { $0.allSatisfy(\.isLetter) && $0.count >= 2 } ?? false
  }

  /// A device id field (see ``DeviceID``).
  public static func deviceID(
    _ value: String?, field: String = "deviceId", required: Bool = true, into errors: inout FieldErrors
  ) -> DeviceID? {
    guard let value else {
      if required { errors.add(field, "is required") }
      return nil
    }
    do {
      return try DeviceID(value.trimmingCharacters(in: .whitespaces))
    } catch {
      errors.add(field, error.message)
      return nil
    }
  }

  /// A command channel field: case-insensitive `POWER`, `POWER1`…`POWER32`.
  public static func commandChannel(
    _ value: String?, field: String = "commandChannel", required: Bool = true, into errors: inout FieldErrors
  ) -> CommandChannel? {
    guard let value else {
      if required { errors.add(field, "is required") }
      return nil
    }
    do {
      return try CommandChannel(parsing: value.trimmingCharacters(in: .whitespaces))
    } catch {
      errors.add(field, "must be POWER or POWER1…POWER\(CommandChannel.maximumIndex)")
      return nil
    }
  }

  /// An enum field given by raw value, e.g. `DevicePermission` or `Role`.
  public static func choice<T: RawRepresentable & CaseIterable>(
    _ value: String?, field: String, as type: T.Type, required: Bool = true, into errors: inout FieldErrors
  ) -> T? where T.RawValue == String {
    guard let value else {
      if required { errors.add(field, "is required") }
      return nil
    }
    guard let parsed = T(rawValue: value) else {
      errors.add(field, "must be one of: " + T.allCases.map(\.rawValue).joined(separator: ", "))
      return nil
    }
    return parsed
  }
}
