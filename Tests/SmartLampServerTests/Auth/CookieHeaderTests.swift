import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import SmartLampServer

/// The byte-wise cookie reading (issue #10) against the `Character`-wise reading it replaced, on headers chosen to
/// trip a scanner: several cookies, names that end or start like `auth_token`, quotes, blanks, empty values.
@Suite("Cookie header")
struct CookieHeaderTests {
  static let tricky: [(header: String, expected: String?)] = [
    ("auth_token=abc", "abc"),
    ("theme=dark; auth_token=abc; refresh_token=def", "abc"),
    ("xauth_token=evil", nil),
    ("xauth_token=evil; auth_token=good", "good"),
    ("auth_tokenx=evil; auth_token=good", "good"),
    ("auth_token_old=evil;auth_token=good", "good"),
    ("  auth_token=abc  ", "abc"),
    ("\tauth_token=abc\t;x=1", "abc"),
    ("auth_token =abc", nil),
    ("auth_token= abc", " abc"),
    ("auth_token=\"abc\"", "\"abc\""),
    ("auth_token=a=b=c", "a=b=c"),
    ("auth_token=", nil),
    ("auth_token=; auth_token=second", nil),
    ("auth_token", nil),
    ("auth_token;auth_token=abc", "abc"),
    (";;; ;auth_token=abc;;", "abc"),
    ("", nil),
    ("   ", nil),
    (";", nil),
    ("=abc; auth_token=def", "def"),
    ("AUTH_TOKEN=abc", nil),
    ("a=1; b=2; c=3; auth_token=last", "last"),
    ("auth_token=abc; auth_token=def", "abc"),
    ("x=\"a;auth_token=inside\"", "inside\""),
    // Non-ASCII takes the old reading: a no-break space is trimmed there like any Unicode space.
    ("auth_token=abc\u{00A0}", "abc"),
    ("caf\u{00E9}=1; auth_token=abc", "abc"),
    ("auth_token=\u{00E9}t\u{00E9}", "\u{00E9}t\u{00E9}"),
    // A combining mark after `;` makes one `Character` of both: the old reading does not split there.
    ("x=1;\u{0301}auth_token=abc", nil),
  ]

  static func fastOrLegacy(_ name: String, _ header: String) -> CookieHeader.Lookup {
    var header = header
    return header.withUTF8 { bytes in
      CookieHeader.isASCII(bytes)
        ? CookieHeader.lookup(name, in: bytes)
        : CookieHeader.legacyLookup(name, in: String(decoding: bytes, as: UTF8.self))
    }
  }

  static func request(cookies: [String]) -> Request {
    var fields = HTTPFields()
    for cookie in cookies { fields.append(HTTPField(name: .cookie, value: cookie)) }
    let head = HTTPRequest(
      method: .get, scheme: "http", authority: "lamp.local", path: "/api/v1/bootstrap", headerFields: fields)
    return Request(head: head, body: .init(buffer: ByteBuffer()))
  }

  @Test(arguments: Self.tricky.indices)
  func readsTrickyHeadersAsTheOldReadingDid(_ index: Int) {
    let (header, expected) = Self.tricky[index]
    let legacy = CookieHeader.legacyLookup("auth_token", in: header)
    let current = Self.fastOrLegacy("auth_token", header)
    #expect(current == legacy, "\(header.debugDescription)")
    #expect(
      SessionCookies.value("auth_token", in: Self.request(cookies: [header])) == expected, "\(header.debugDescription)")
  }

  @Test func theFastReadingAgreesWithTheOldOnASCII() {
    // Every ASCII header in the table, read byte-wise even where the caller would not (the rules are one).
    for (header, _) in Self.tricky where header.utf8.allSatisfy({ $0 < 0x80 }) {
      var bytes = header
      let fast = bytes.withUTF8 { CookieHeader.lookup("auth_token", in: $0) }
      #expect(fast == CookieHeader.legacyLookup("auth_token", in: header), "\(header.debugDescription)")
    }
  }

  /// Random headers over an alphabet of the characters that matter (separators, blanks, quotes, name pieces).
  @Test func randomHeadersAreReadAsTheOldReadingDid() {
    var generator = SystemRandomNumberGenerator()
    let pieces = [
      "auth_token", "auth_token=", "x", "=", ";", " ", "\t", "\"", "abc", "xauth_token=", "; ", "refresh_token=",
    ]
    for _ in 0..<2_000 {
      let header = (0..<Int.random(in: 0...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
        .joined()
      for name in ["auth_token", "refresh_token"] {
        var bytes = header
        let fast = bytes.withUTF8 { CookieHeader.lookup(name, in: $0) }
        #expect(fast == CookieHeader.legacyLookup(name, in: header), "\(name) in \(header.debugDescription)")
      }
    }
  }

  @Test func everyCookieHeaderIsRead() {
    #expect(SessionCookies.value("auth_token", in: Self.request(cookies: ["theme=dark", "auth_token=abc"])) == "abc")
    #expect(
      SessionCookies.value("refresh_token", in: Self.request(cookies: ["auth_token=abc", "refresh_token=r"])) == "r")
    // The first header that has the name decides, even with an empty value.
    #expect(SessionCookies.value("auth_token", in: Self.request(cookies: ["auth_token=", "auth_token=abc"])) == nil)
    #expect(SessionCookies.value("auth_token", in: Self.request(cookies: ["xauth_token=abc"])) == nil)
    #expect(SessionCookies.value("auth_token", in: Self.request(cookies: [])) == nil)
  }
}
