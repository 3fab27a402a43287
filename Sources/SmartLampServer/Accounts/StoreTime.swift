import SmartLampStore

/// The store's two time forms (epoch milliseconds, ISO-8601 text), named apart from the server's own
/// `Timestamp` helper for envelopes.
enum StoreTime {
  static func nowMillis() -> Int64 { SmartLampStore.Timestamp.nowMillis() }
  static func nowISO() -> String { SmartLampStore.Timestamp.iso(nowMillis()) }
  static func iso(_ millis: Int64) -> String { SmartLampStore.Timestamp.iso(millis) }
}
