import TestSupport
import Testing

@testable import Tasmota

@Suite struct JSONTests {
  @Test func values() {
    #expect(
      TasmotaJSON.parse(#" { "a" : [1, -2.5e3, true, false, null, "x"], "b": {} } "#)
        == .object([
          "a": .array([.number(1), .number(-2500), .bool(true), .bool(false), .null, .string("x")]), "b": .object([:]),
        ]))
    #expect(TasmotaJSON.parse("0") == .number(0))
    #expect(TasmotaJSON.parse(#""""#) == .string(""))
    #expect(TasmotaJSON.parse("[]") == .array([]))
  }

  @Test func stringEscapes() {
    #expect(TasmotaJSON.parse(#""a\"b\\c\/d\n\t\r\b\f""#) == .string("a\"b\\c/d\n\t\r\u{8}\u{C}"))
    #expect(TasmotaJSON.parse(#""\u00e9\u20AC""#) == .string("é€"))
    #expect(TasmotaJSON.parse(#""\ud83d\ude00""#) == .string("😀"))
    #expect(TasmotaJSON.parse(#""Küche""#) == .string("Küche"))
  }

  @Test(arguments: [
    "", " ", "tru", "nul", "-", "1e", "1.e5", "01", "+1", ".5", "\"abc", "\"\\u12\"", "\"\\ud83d\"",
    "\"\\ude00\"", "[1,]", "[1 2]", "{\"a\" 1}", "{1:2}", "\"a\u{1}b\"", "[", "]", "1 2", "NaN", "Infinity", "1e999",
  ])
  func invalidDocuments(text: String) {
    #expect(TasmotaJSON.parse(text) == nil)
  }

  @Test func invalidUTF8InsideStrings() {
    #expect(TasmotaJSON.parse([UInt8(ascii: "\""), 0xC3, UInt8(ascii: "\"")]) == nil)
    #expect(TasmotaJSON.parse([UInt8(ascii: "\""), 0xC3, 0xA9, UInt8(ascii: "\"")]) == .string("é"))
  }

  @Test func depthLimit() {
    let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
    #expect(TasmotaJSON.parse(ok) != nil)
    let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
    #expect(TasmotaJSON.parse(deep) == nil)
  }

  @Test func accessors() {
    let json = TasmotaJSON.parse(#"{"Wifi":{"RSSI":86},"n":2.5,"big":1e300,"s":"x"}"#)
    #expect(json?.member(caseInsensitive: "WIFI")?.member(caseInsensitive: "rssi")?.intValue == 86)
    #expect(json?["n"]?.intValue == nil)
    #expect(json?["n"]?.doubleValue == 2.5)
    #expect(json?["big"]?.intValue == nil)
    #expect(json?["s"]?.stringValue == "x")
    #expect(json?["missing"] == nil)
    #expect(TasmotaJSON.null.isNull)
  }

  /// Random and mutated payloads on every topic kind: the parser must return, never trap.
  @Test func fuzzNeverCrashes() {
    var generator = SplitMix64(seed: 0x5EED)
    let seeds = [Fixtures.stateSingle, Fixtures.status11, Fixtures.discovery, #"{"POWER":"0101"}"#, "ON"].map {
      Array($0.utf8)
    }
    let topics = [
      "stat/d/POWER", "stat/d/RESULT", "tele/d/STATE", "tele/d/LWT", "stat/d/STATUS", "stat/d/STATUS11",
      "tasmota/discovery/\(Fixtures.discoveryMAC)/config",
    ]
    var malformed = 0
    var usable = 0
    for round in 0..<4000 {
      var bytes = seeds[round % seeds.count]
      let mutations = Int(generator.next() % 8) + 1
      for _ in 0..<mutations where !bytes.isEmpty {
        let position = Int(generator.next() % UInt64(bytes.count))
        switch generator.next() % 3 {
        case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
        case 1: bytes.remove(at: position)
        default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
        }
      }
      if round % 10 == 0 {
        bytes = (0..<Int(generator.next() % 200)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      }
      let message = TasmotaMessage.parse(topic: topics[round % topics.count], payload: bytes)
      switch message {
      case .malformed: malformed += 1
      case .notForUs: break
      default: usable += 1
      }
    }
    // Both outcomes occur, so the mutations reach the parsers' accept and reject paths.
    #expect(malformed > 100)
    #expect(usable > 100)
  }
}
