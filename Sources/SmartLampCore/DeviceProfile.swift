/// How a lamp speaks MQTT, chosen from what it publishes: `tasmota` (`stat/…`, `tele/…`, discovery configs) or
/// `native` (the SmartLamp ESP32 firmware's `home/<id>/status` and `home/<id>/lwt`). Stored in
/// `device_state.profile`; unknown (nil) until the lamp was heard.
public enum DeviceProfile: String, Sendable, Hashable, Codable, CaseIterable {
  case tasmota
  case native
}
