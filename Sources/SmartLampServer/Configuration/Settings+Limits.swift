extension Setting {
  /// Caps that keep one client or one account from holding every descriptor of the process (issue #10).
  static let connectionLimits: [Setting] = [
    Setting(
      key: "http.max-connections-per-address",
      summary: "Open connections one client address may hold, counted before authentication; trusted proxies are "
        + "exempt (0 = no cap)",
      defaultText: "128", secret: false
    ) { config, raw throws(SettingValueError) in
      config.maxConnectionsPerAddress = try SettingParse.int(raw, in: 0...1_000_000)
    },
    Setting(
      key: "realtime.max-streams-per-session",
      summary: "Open realtime streams per login session or API key; a new one past it closes the oldest (0 = no cap)",
      defaultText: "8", secret: false
    ) { config, raw throws(SettingValueError) in
      config.realtimeMaxStreamsPerSession = try SettingParse.int(raw, in: 0...1_000_000)
    },
    Setting(
      key: "realtime.max-streams-per-person",
      summary: "Open realtime streams per person across their sessions and keys; a new one past it closes the "
        + "oldest (0 = no cap)",
      defaultText: "32", secret: false
    ) { config, raw throws(SettingValueError) in
      config.realtimeMaxStreamsPerPerson = try SettingParse.int(raw, in: 0...1_000_000)
    },
  ]
}
