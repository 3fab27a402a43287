import SmartLampCore

/// The answers the contract prescribes, by kind of route (CONTRACT §2–4, UPSTREAM §2.5 and §4.6). Each takes
/// the status an allowed caller gets.
extension PermissionMatrixTests {
  typealias Rule = @Sendable (Caller) -> Int

  /// Public routes answer the same to everyone, whatever credentials come along.
  static func everyone(_ status: Int) -> Rule { { _ in status } }

  /// Any live principal holding `scope` (users hold every scope) whose rights still apply.
  static func scoped(_ scope: String, _ success: Int) -> Rule {
    { caller in
      guard caller.authenticates else { return 401 }
      guard caller.holds(scope), caller.isAdmin != nil else { return 403 }
      return success
    }
  }

  /// A route on the matrix lamp: the key needs `scope` for the route, then the caller needs at least `permission`
  /// on the device (admins always have it).
  static func onDevice(_ scope: String?, _ permission: DevicePermission, _ success: Int) -> Rule {
    { caller in
      guard caller.authenticates else { return 401 }
      if let scope, !caller.holds(scope) { return 403 }
      guard let held = caller.devicePermission, held >= permission else { return 403 }
      return success
    }
  }

  /// Admins, or keys with the `admin` scope whose owner is an admin (users, devices, discovery).
  static func admins(_ success: Int) -> Rule {
    { caller in
      guard caller.authenticates else { return 401 }
      return caller.holds("admin") && caller.isAdmin == true ? success : 403
    }
  }

  /// API key management: user admins only; keys never mint keys.
  static func userAdmins(_ success: Int) -> Rule {
    { caller in
      guard caller.authenticates else { return 401 }
      if case .admin = caller { return success }
      return 403
    }
  }

  /// Routes only a logged-in user may use (profile).
  static func usersOnly(_ success: Int) -> Rule {
    { caller in
      guard caller.authenticates else { return 401 }
      return caller.isLiveUser ? success : 403
    }
  }
}
