import Foundation
import TestSupport
import Testing

@testable import SmartLampServer

/// ``JSONParser`` against Foundation's `JSONSerialization` (what is valid JSON) and `JSONDecoder` (the values
/// routes saw before the parser existed).
@Suite("JSON parser")
struct JSONParserTests {
  static func reference(_ text: [UInt8]) -> JSONValue? {
    guard (try? JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed])) != nil else {
      return nil
    }
    return try? JSONDecoder().decode(JSONValue.self, from: Data(text))
  }

  static let valid = [
    #"{"deviceId":"lamp-1","action":"ON","requestId":"r1","waitForAck":true}"#,
    #"  {"a" : [1, -2, 3.5, -0.25e-3, 1E3, 2.0, 0, -0, 12345678901234567890, null, true, false]}  "#,
    #""text""#, "42", "-7.5", "null", "true", "[]", "{}", #"[[[]],{}]"#,
    #"{"esc":"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20ac \ud83d\ude00"}"#,
    #"{"utf8":"Lampu ruang tamu — 💡 ñ"}"#, #"{"dup":1,"dup":2}"#, "\t\n\r [1]\n",
  ]

  @Test(arguments: valid) func agreesWithFoundationOnValidDocuments(_ text: String) throws {
    let expected = try #require(Self.reference(Array(text.utf8)))
    #expect(try JSONParser.parse(Array(text.utf8)) == expected)
  }

  static let invalid = [
    "", " ", "{", "}", "[1,]", #"{"a":1,}"#, "{'a':1}", "01", "1.", ".5", "+1", "-", "1e", "1e+", "NaN",
    "Infinity", "tru", "nul", "[1 2]", #"{"a" 1}"#, #"{a:1}"#, #""unterminated"#, "\"tab\tinside\"", #""\x""#,
    #""\u12""#, #""\ud83d""#, #""\ude00""#, #""\ud83d\u0041""#, "[1] x", "1e999",
  ]

  @Test(arguments: invalid) func refusesInvalidDocuments(_ text: String) {
    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
  }

  @Test func refusesInvalidUTF8AndDeepNesting() {
    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(deep.utf8)) }
    let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect((try? JSONParser.parse(Array(fine.utf8))) != nil)
  }

  /// Random documents written by `JSONEncoder`, then single-byte mutations of them: where Foundation accepts
  /// the bytes the values must match, and the parser accepts exactly what Foundation accepts.
  @Test func agreesWithFoundationOnRandomAndMutatedDocuments() throws {
    var generator = SplitMix64(seed: 20_261_123)
    let alphabet = Array(#"{}[],:"\ 0123456789.eE+-tfnulrsa"#.utf8)
    var compared = 0
    for _ in 0..<400 {
      let document = Self.randomValue(depth: 0, &generator)
      let text = Array(try JSONEncoder().encode(document))
      #expect(try JSONParser.parse(text) == Self.reference(text))
      for _ in 0..<10 {
        var mutated = text
        let position = Int(generator.next() % UInt64(mutated.count))
        mutated[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
        // Foundation also takes a trailing comma; RFC 8259 does not (see `invalid`).
        let mutatedText = String(decoding: mutated, as: UTF8.self)
        let trailingComma = mutatedText.contains(",]") || mutatedText.contains(",}")
        let expected = trailingComma ? nil : Self.reference(mutated)
        let parsed = try? JSONParser.parse(mutated)
        #expect(parsed == expected, "\(String(decoding: mutated, as: UTF8.self))")
        compared += 1
      }
    }
    #expect(compared == 4000)
  }

  static func randomValue(depth: Int, _ generator: inout SplitMix64) -> JSONValue {
    switch generator.next() % (depth > 3 ? 5 : 7) {
    case 0: return .null
    case 1: return .bool(generator.next() % 2 == 0)
    case 2: return .int(Int(truncatingIfNeeded: generator.next()) >> Int(generator.next() % 60))
    case 3: return .double(Double(Int64(truncatingIfNeeded: generator.next()) % 1_000_000) / 1000 + 0.5)
    case 4:
      let pool = Array("aZ09 -_\"\\/\n\té€💡".unicodeScalars)
      let length = Int(generator.next() % 8)
      return .string(
        String(String.UnicodeScalarView((0..<length).map { _ in pool[Int(generator.next() % UInt64(pool.count))] })))
    case 5: return .array((0..<Int(generator.next() % 4)).map { _ in randomValue(depth: depth + 1, &generator) })
    default:
      var members: [String: JSONValue] = [:]
      for index in 0..<Int(generator.next() % 4) { members["k\(index)"] = randomValue(depth: depth + 1, &generator) }
      return .object(members)
    }
  }

}
