import Tasmota

extension SimulatedDevice {
  /// Wi-Fi quality in percent, fixed per device so telemetry is stable and distinct between devices.
  public var rssi: Int { 40 + Int(configuration.mac.utf8.reduce(UInt32(7)) { $0 &* 31 &+ UInt32($1) } % 60) }
  /// dBm from quality, as Tasmota converts it (quality = 2 × (dBm + 100)).
  public var signal: Int { rssi / 2 - 100 }

  /// `tele/<t>/STATE`, shaped like the firmware's (Time, Uptime, UptimeSec, Heap, …, POWER keys, Wifi).
  public func telemetry(uptimeSeconds: Int, time: String) -> SimulatorMessage {
    SimulatorMessage(
      topic: configuration.topic(.telemetry, "STATE"), payload: statePayload(uptimeSeconds: uptimeSeconds, time: time))
  }

  func statePayload(uptimeSeconds: Int, time: String) -> String {
    var json = JSONText()
    json.add("Time", time)
    json.add("Uptime", Self.uptimeText(uptimeSeconds))
    json.add("UptimeSec", uptimeSeconds)
    json.add("Heap", 27)
    json.add("SleepMode", "Dynamic")
    json.add("Sleep", 50)
    json.add("LoadAvg", 19)
    json.add("MqttCount", 1)
    for number in 1...relays.count {
      json.add(channel(relay: number).name, relays[number - 1].rawValue)
    }
    var wifi = JSONText()
    wifi.add("AP", 1)
    wifi.add("SSId", "SmartLampSim")
    wifi.add("Channel", 6)
    wifi.add("Mode", "11n")
    wifi.add("RSSI", rssi)
    wifi.add("Signal", signal)
    wifi.add("LinkCount", 1)
    wifi.add("Downtime", "0T00:00:03")
    json.add("Wifi", raw: wifi.closed)
    return json.closed
  }

  /// Tasmota's `<days>T<hh>:<mm>:<ss>`.
  public static func uptimeText(_ seconds: Int) -> String {
    let seconds = max(0, seconds)
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(seconds / 86_400)T\(two(seconds / 3600 % 24)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
  }

  /// Replies to `Status <n>`: empty → STATUS; `0` → STATUS, STATUS1, STATUS2, STATUS5, STATUS11 (the parts a
  /// controller uses; real firmware also sends 3, 4, 6, 7 and 10); 1, 2, 5, 11 → that one. nil for others.
  func statusMessages(_ argument: String, uptimeSeconds: Int, time: String) -> [SimulatorMessage]? {
    let numbers: [Int]
    switch argument {
    case "": numbers = [-1]
    case "0": numbers = [-1, 1, 2, 5, 11]
    case "1", "2", "5", "11": numbers = [Int(argument) ?? 1]
    default: return nil
    }
    return numbers.map { number in
      let suffix = number < 0 ? "STATUS" : "STATUS\(number)"
      return SimulatorMessage(
        topic: configuration.topic(.status, suffix),
        payload: statusPayload(number, uptimeSeconds: uptimeSeconds, time: time))
    }
  }

  func statusPayload(_ number: Int, uptimeSeconds: Int, time: String) -> String {
    var body = JSONText()
    let key: String
    switch number {
    case 1:
      key = "StatusPRM"
      body.add("Baudrate", 115_200)
      body.add("GroupTopic", "tasmotas")
      body.add("RestartReason", "Power On")
      body.add("Uptime", Self.uptimeText(uptimeSeconds))
      body.add("BootCount", 1)
    case 2:
      key = "StatusFWR"
      body.add("Version", configuration.firmware)
      body.add("Hardware", "ESP32-D0WD-V3")
    case 5:
      key = "StatusNET"
      body.add("Hostname", hostname)
      body.add("IPAddress", configuration.ipAddress)
      body.add("Gateway", "10.77.0.1")
      body.add("Subnetmask", "255.255.0.0")
      body.add("Mac", macWithColons)
    case 11:
      return "{\"StatusSTS\":" + statePayload(uptimeSeconds: uptimeSeconds, time: time) + "}"
    default:
      key = "Status"
      body.add("Module", 0)
      body.add("DeviceName", configuration.friendlyName)
      body.add(
        "FriendlyName",
        raw: JSONText.array((1...relays.count).map { JSONText.quote(configuration.friendlyName(relay: $0)) }))
      body.add("Topic", configuration.topic)
      body.add("ButtonTopic", "0")
      // Tasmota 14 prints the relay bitmask as binary, highest relay first.
      body.add("Power", String(relays.reversed().map { $0 == .on ? "1" : "0" }))
      body.add("PowerOnState", 3)
      body.add("LedState", 1)
    }
    return "{" + JSONText.quote(key) + ":" + body.closed + "}"
  }

  /// `<topic>-<last 4 MAC digits>`, as the firmware's default `%s-%04d` hostname.
  public var hostname: String {
    configuration.topic.replacingUnderscores() + "-" + String(configuration.mac.suffix(4))
  }

  var macWithColons: String {
    var pairs: [String] = []
    var rest = Substring(configuration.mac)
    while !rest.isEmpty {
      pairs.append(String(rest.prefix(2)))
      rest = rest.dropFirst(2)
    }
    return pairs.joined(separator: ":")
  }

  /// The native discovery config, keys in firmware order (`xdrv_12_discovery.ino`), 8 slots as observed.
  public func discoveryPayload() -> String {
    let slots = max(8, relays.count)
    var json = JSONText()
    json.add("ip", configuration.ipAddress)
    json.add("dn", configuration.friendlyName)
    json.add(
      "fn",
      raw: JSONText.array(
        (1...slots).map { $0 <= relays.count ? JSONText.quote(configuration.friendlyName(relay: $0)) : "null" }))
    json.add("hn", hostname)
    json.add("mac", configuration.mac)
    json.add("md", "SmartLamp Simulator")
    json.add("ty", 0)
    json.add("if", 0)
    json.add("ofln", "Offline")
    json.add("onln", "Online")
    json.add("state", raw: #"["OFF","ON","TOGGLE","HOLD"]"#)
    json.add("sw", configuration.firmware)
    json.add("t", configuration.topic)
    json.add("ft", configuration.order == .prefixFirst ? "%prefix%/%topic%/" : "%topic%/%prefix%/")
    json.add("tp", raw: #"["cmnd","stat","tele"]"#)
    json.add("rl", raw: JSONText.array((1...slots).map { $0 <= relays.count ? "1" : "0" }))
    json.add("swc", raw: JSONText.array(Array(repeating: "-1", count: slots)))
    json.add("swn", raw: JSONText.array(Array(repeating: "null", count: slots)))
    json.add("btn", raw: JSONText.array(Array(repeating: "0", count: slots)))
    let so26 = configuration.indexSingleRelay ? 1 : 0
    json.add(
      "so",
      raw: #"{"4":0,"11":0,"13":0,"17":0,"20":0,"26":\#(so26),"30":0,"68":0,"73":0,"82":0,"114":0,"117":0}"#)
    json.add("lk", 0)
    json.add("lt_st", 0)
    json.add("sho", raw: "[0,0,0,0]")
    json.add("sht", raw: "[[0,0,0],[0,0,0],[0,0,0],[0,0,0]]")
    json.add("ver", 1)
    return json.closed
  }
}

extension String {
  fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
