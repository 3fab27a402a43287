import Testing

@testable import Tasmota

@Suite struct StatusTests {
  private func status(_ topic: String, _ payload: String) -> TasmotaStatus? {
    if case .status(let status) = TasmotaMessage.parse(topic: topic, payload: payload) { return status }
    return nil
  }

  @Test func mainStatusObject() throws {
    let parsed = try #require(status("stat/ikea-1/STATUS", Fixtures.status))
    #expect(parsed.number == nil)
    #expect(parsed.topic == "ikea-1")
    #expect(parsed.deviceName == "Prelungitor")
    #expect(parsed.friendlyNames == ["Prelungitor 1", "Prelungitor 2"])
    #expect(parsed.friendlyName == "Prelungitor 1")
    // Integer bitmask 2 with two relays: relay 2 on.
    #expect(parsed.states.map(\.description) == ["POWER1=OFF", "POWER2=ON"])
  }

  @Test func singleRelayIntegerPower() throws {
    let parsed = try #require(
      status("stat/kitchen/STATUS", #"{"Status":{"Module":1,"FriendlyName":["kitchen light"],"Power":1}}"#))
    #expect(parsed.states == [TasmotaChannelState(.power, .on)])
    let old = try #require(status("stat/desk/STATUS", #"{"Status":{"FriendlyName":"Desk lamp","Power":0}}"#))
    #expect(old.friendlyNames == ["Desk lamp"])
    #expect(old.states == [TasmotaChannelState(.power, .off)])
  }

  @Test func tasmota14BinaryStringPower() throws {
    let parsed = try #require(status("strip/stat/STATUS", Fixtures.statusV14))
    #expect(parsed.order == .topicFirst)
    #expect(parsed.states.map(\.description) == ["POWER1=ON", "POWER2=ON", "POWER3=OFF"])
  }

  @Test func firmwareNetworkAndSTS() throws {
    #expect(try #require(status("stat/d/STATUS2", Fixtures.status2)).firmware == "12.5.0(lite)")
    let network = try #require(status("stat/d/STATUS5", Fixtures.status5))
    #expect(network.number == 5)
    #expect(network.hostname == "wemosbt-1816")
    #expect(network.ipAddress == "192.168.180.76")
    #expect(network.mac == "5C:CF:7F:0B:67:18")
    let sts = try #require(status("stat/d/STATUS11", Fixtures.status11))
    #expect(sts.number == 11)
    #expect(sts.states.map(\.description) == ["POWER1=ON", "POWER2=OFF"])
    #expect(sts.telemetry?.rssi == 92)
    #expect(sts.telemetry?.uptimeSeconds == 4260)
  }

  @Test func combinedStatus0AndTopLevelKeys() throws {
    let combined = """
      {"Status":{"Topic":"t1","FriendlyName":["One"],"Power":0},"StatusFWR":{"Version":"14.1.0"},\
      "StatusNET":{"Mac":"AA:BB:CC:DD:EE:FF"},"StatusSTS":{"POWER":"ON","UptimeSec":5}}
      """
    let parsed = try #require(status("stat/t1/STATUS0", combined))
    #expect(parsed.number == 0)
    #expect(parsed.firmware == "14.1.0")
    #expect(parsed.mac == "AA:BB:CC:DD:EE:FF")
    // StatusSTS is newer than Status.Power in the same dump.
    #expect(parsed.states == [TasmotaChannelState(.power, .on)])
    let legacy = try #require(status("stat/d/STATUS11", #"{"StatusPWR":{},"POWER1":"ON","POWER4":"ON"}"#))
    #expect(legacy.states.map(\.description) == ["POWER1=ON", "POWER4=ON"])
  }

  @Test func badStatusPayloads() {
    if case .malformed(let error) = TasmotaMessage.parse(topic: "stat/d/STATUS", payload: "") {
      #expect(error.code == .emptyPayload)
    } else {
      Issue.record("empty STATUS accepted")
    }
    if case .malformed(let error) = TasmotaMessage.parse(topic: "stat/d/STATUS", payload: "3.1.16, 1") {
      #expect(error.code == .invalidJSON)
    } else {
      Issue.record("non-JSON STATUS accepted")
    }
    let empty = status("stat/d/STATUS", #"{"Status":{"Power":"weird","FriendlyName":42}}"#)
    #expect(empty?.states == [])
    #expect(empty?.friendlyNames == [])
  }

  @Test func statusPowerShapes() {
    #expect(
      TasmotaMessage.statusPower(.number(5), relays: 3).map(\.description) == ["POWER1=ON", "POWER2=OFF", "POWER3=ON"])
    #expect(TasmotaMessage.statusPower(.number(-1), relays: 3) == [TasmotaChannelState(.power, .on)])
    #expect(TasmotaMessage.statusPower(.string("1"), relays: 1) == [TasmotaChannelState(.power, .on)])
    #expect(TasmotaMessage.statusPower(.string("10"), relays: 0).map(\.description) == ["POWER1=OFF", "POWER2=ON"])
    #expect(TasmotaMessage.statusPower(.bool(true), relays: 1) == [TasmotaChannelState(.power, .on)])
    #expect(TasmotaMessage.statusPower(.null, relays: 1) == [])
  }
}
