import SmartLampServer

/// Accounts routes: auth, bootstrap, profile, users, API keys (logout is last in the whole table: it ends the
/// caller's session).
extension PermissionMatrixTests {
  static let accountRoutes: [Route] = [
    Route(
      .post, "/api/v1/auth/login", body: { _ in ["email": "nobody@example.com", "password": "wrong-password"] },
      expected: everyone(401)),
    Route(.post, "/api/v1/auth/refresh", expected: { $0.isLiveUser ? 200 : 401 }),
    Route(.get, "/api/v1/bootstrap", expected: scoped("read", 200)),
    Route(.get, "/api/v1/profile", expected: usersOnly(200)),
    Route(.patch, "/api/v1/profile", body: { _ in ["name": "Matrix Name"] }, expected: usersOnly(200)),
    Route(.get, "/api/v1/users", expected: admins(200)),
    Route(
      .post, "/api/v1/users",
      body: { ["name": "New", "email": .string("new\($0.counter)@example.com"), "password": "member-password-1"] },
      expected: admins(201)),
    Route(
      .patch, "/api/v1/users/{userId}", uri: { "/api/v1/users/\($0.targetId)" }, body: { _ in ["name": "Patched"] },
      expected: admins(200)),
    Route(.delete, "/api/v1/users/{userId}", uri: { "/api/v1/users/\($0.victimId)" }, expected: admins(200)),
    Route(
      .post, "/api/v1/users/{userId}/restore", uri: { "/api/v1/users/\($0.victimId)/restore" },
      expected: admins(200)),
    Route(
      .get, "/api/v1/users/{userId}/assignments", uri: { "/api/v1/users/\($0.targetId)/assignments" },
      expected: admins(200)),
    Route(
      .put, "/api/v1/users/{userId}/assignments", uri: { "/api/v1/users/\($0.victimId)/assignments" },
      body: { _ in ["assignments": []] }, expected: admins(200)),
    Route(
      .post, "/api/v1/integrations/clients", body: { _ in ["name": "made by matrix", "scopes": ["read"]] },
      expected: userAdmins(201)),
    Route(.get, "/api/v1/integrations/clients", expected: userAdmins(200)),
    Route(
      .delete, "/api/v1/integrations/clients/{id}", uri: { "/api/v1/integrations/clients/\($0.clientId)" },
      expected: userAdmins(200)),
    Route(.get, "/api/v1/integrations/capabilities", expected: scoped("read", 200)),
  ]

  static let logout = Route(.post, "/api/v1/auth/logout", expected: everyone(200))
}
