import Testing

@testable import Tasmota

@Suite struct ChannelTests {
  @Test(arguments: [
    ("POWER", 0), ("power", 0), (" Power ", 0), ("POWER1", 1), ("power2", 2), ("POWER9", 9), ("POWER10", 10),
    ("Power32", 32),
  ])
  func parsesValidChannels(text: String, index: Int) throws {
    let channel = try #require(TasmotaChannel(parsing: text))
    #expect(channel.index == index)
    #expect(channel.name == (index == 0 ? "POWER" : "POWER\(index)"))
  }

  @Test(arguments: [
    "POWER0", "POWER01", "POWER33", "POWER99", "POWER100", "POWERX", "POWER-1", "PWR1", "", "RESULT",
    "POWER１",
  ])
  func rejectsInvalidChannels(text: String) {
    #expect(TasmotaChannel(parsing: text) == nil)
    #expect(TasmotaChannel.normalised(text) == .power)
  }

  @Test func everyIndexRoundTrips() throws {
    for index in 1...32 {
      let channel = try #require(TasmotaChannel(index: index))
      #expect(TasmotaChannel(parsing: channel.name) == channel)
      #expect(TasmotaChannel(parsing: channel.name.lowercased()) == channel)
    }
    #expect(TasmotaChannel(index: 33) == nil)
    #expect(TasmotaChannel(index: -1) == nil)
  }

  @Test func ordering() {
    let names = ["POWER10", "POWER2", "POWER", "POWER1", "POWER32", "POWER9"]
    let sorted = names.compactMap { TasmotaChannel(parsing: $0) }.sorted().map(\.name)
    #expect(sorted == ["POWER", "POWER1", "POWER2", "POWER9", "POWER10", "POWER32"])
  }

  /// mqtt-compat item 12.
  @Test func suggestedChannel() {
    #expect(TasmotaChannel.suggested(from: [.power]) == .power)
    let indexed = ["POWER3", "POWER1", "POWER2"].compactMap { TasmotaChannel(parsing: $0) }
    #expect(TasmotaChannel.suggested(from: indexed).name == "POWER1")
    #expect(TasmotaChannel.suggested(from: []) == .power)
    #expect(TasmotaChannel.suggested(from: [.power, TasmotaChannel(index: 4)!]).name == "POWER4")
  }

  /// mqtt-compat item 13.
  @Test func entityIDs() {
    #expect(TasmotaChannel.power.entityID(mqttID: "lampu-dapur") == "lampu-dapur")
    #expect(TasmotaChannel(index: 2)!.entityID(mqttID: "lampu-dapur") == "lampu-dapur__POWER2")
    #expect(TasmotaChannel(index: 2)!.entityID(mqttID: "") == "")
  }

  @Test(arguments: [
    ("lampu-dapur", "lampu-dapur", 0), ("lampu-dapur__POWER2", "lampu-dapur", 2), ("a__b__POWER32", "a__b", 32),
    ("x__POWER33", "x__POWER33", 0), ("x__power2", "x__power2", 0), ("__POWER2", "__POWER2", 0), ("", "", 0),
    ("x__POWER", "x__POWER", 0),
  ])
  func splitsEntityIDs(entity: String, mqttID: String, index: Int) {
    let split = TasmotaChannel.splitEntityID(entity)
    #expect(split.mqttID == mqttID)
    #expect(split.channel.index == index)
  }

  /// mqtt-compat item 8, first half.
  @Test func switchValues() {
    #expect(TasmotaPower(switchValue: "ON") == .on)
    #expect(TasmotaPower(switchValue: " on ") == .on)
    #expect(TasmotaPower(switchValue: "0") == .off)
    #expect(TasmotaPower(switchValue: "Off") == .off)
    #expect(TasmotaPower(switchValue: "toggle") == nil)
    #expect(TasmotaPower(switchValue: "") == nil)
    #expect(TasmotaPower(json: .number(1)) == .on)
    #expect(TasmotaPower(json: .number(0)) == .off)
    #expect(TasmotaPower(json: .number(7)) == .on)
    #expect(TasmotaPower(json: .bool(false)) == .off)
    #expect(TasmotaPower(json: .bool(true)) == .on)
    #expect(TasmotaPower(json: .string("0")) == .off)
    #expect(TasmotaPower(json: .null) == nil)
    #expect(TasmotaPower(json: .array([])) == nil)
  }

  /// mqtt-compat items 10 and 11.
  @Test func powerStatesFromObjects() throws {
    func states(_ json: String) throws -> [String] {
      let object = try #require(TasmotaJSON.parse(json)?.objectValue)
      return TasmotaPowerStates.extract(from: object).map(\.description)
    }
    func channels(_ json: String) throws -> [String] {
      let object = try #require(TasmotaJSON.parse(json)?.objectValue)
      return TasmotaPowerStates.channels(in: object).map(\.name)
    }
    #expect(try channels(#"{"POWER":"ON"}"#) == ["POWER"])
    #expect(try channels(#"{"POWER":"0000"}"#) == ["POWER1", "POWER2", "POWER3", "POWER4"])
    #expect(try channels(#"{"POWER2":"ON","POWER4":"OFF"}"#) == ["POWER2", "POWER4"])
    #expect(try states(#"{"POWER":"ON"}"#) == ["POWER=ON"])
    #expect(try states(#"{"POWER":"010"}"#) == ["POWER1=OFF", "POWER2=ON", "POWER3=OFF"])
    #expect(try states(#"{"POWER2":"ON","POWER4":"OFF"}"#) == ["POWER2=ON", "POWER4=OFF"])
    #expect(try states(#"{"power3":1,"Power1":false,"POWER33":"ON","Foo":"ON"}"#) == ["POWER1=OFF", "POWER3=ON"])
    #expect(try states(#"{"POWER":"0101"}"#) == ["POWER1=OFF", "POWER2=ON", "POWER3=OFF", "POWER4=ON"])
    #expect(try states(#"{"POWER":"1"}"#) == ["POWER=ON"])
    #expect(try states(#"{"POWER":"012"}"#) == [])
    #expect(try states(#"{"Foo":"Bar"}"#) == [])
    let longMask = String(repeating: "1", count: 33)
    #expect(try states(#"{"POWER":"\#(longMask)"}"#) == [])
    let fullMask = String(repeating: "10", count: 16)
    #expect(try states(#"{"POWER":"\#(fullMask)"}"#).count == 32)
  }
}
