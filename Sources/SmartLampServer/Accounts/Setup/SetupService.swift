import Logging
import SmartLampCore
import SmartLampStore

/// The first run (issue #7 item 2): whether an administrator is still missing, and creating the first one with the
/// one-time setup code. Wrong codes count like failed logins (same limiter, same keys per client address); the
/// code is spent in the transaction that creates the admin, so it works once; the new admin is signed in.
struct SetupService: Sendable {
  let accounts: AccountsServices
  let demo: Bool
  /// The public ids of the simulated lamps (demo mode), in simulator order.
  let demoDevices: [String]

  struct Status: Encodable, Sendable {
    let needsSetup: Bool
    let demo: Bool
    let demoDevices: [String]
  }

  func status() async throws -> Status {
    Status(needsSetup: try await accounts.store.setup.needsSetup(), demo: demo, demoDevices: demoDevices)
  }

  enum Outcome: Sendable {
    case created(AccountsServices.IssuedSession)
    case invalidCode(RateLimitDecision)
    case limited(RateLimitDecision)
    case alreadyDone
  }

  /// Whether setup is done already (no attempt is counted for asking).
  func isDone() async throws -> Bool { !(try await accounts.store.setup.needsSetup()) }

  /// A validation failure is not an attempt, but a blocked client learns only that it is blocked.
  func gate(clientIP: String) async throws -> RateLimitDecision {
    try await accounts.limiter.check(keys: LoginLimiter.keys(ip: clientIP, email: nil))
  }

  /// Checks the limiter and the code, then creates the admin and signs it in.
  /// - Throws: `409 ALREADY_EXISTS` (email) when another account has the email.
  func complete(
    code: String?, name: String, email: String, password: String, clientIP: String, userAgent: String?
  ) async throws -> Outcome {
    let keys = LoginLimiter.keys(ip: clientIP, email: nil)
    let attempt = try await accounts.limiter.reserve(keys: keys)
    guard attempt.allowed else { return .limited(attempt) }
    let setup = accounts.store.setup
    // A first comparison outside the transaction spares a bcrypt hash for every wrong code.
    guard let code, let stored = try await setup.codeDigest(), SetupCode.matches(code, storedDigest: stored) else {
      return .invalidCode(attempt)
    }
    let hash = try await accounts.passwords.hash(password)
    let outcome: SetupCompletion
    do {
      outcome = try await setup.complete(
        admin: NewUser(name: name, email: email, passwordHash: hash, role: .admin),
        matches: { SetupCode.matches(code, storedDigest: $0) })
    } catch StoreError.duplicate {
      throw APIError.alreadyExists("Email already exists", field: "email")
    }
    switch outcome {
    case .alreadyDone: return .alreadyDone
    case .invalidCode: return .invalidCode(attempt)
    case .created(let record):
      try await accounts.limiter.reset(keys: keys)
      accounts.logger.notice("first admin created with the setup code", metadata: ["user_id": "\(record.id)"])
      return .created(
        try await accounts.issueSession(for: AccountUser(record), clientIP: clientIP, userAgent: userAgent))
    }
  }
}
