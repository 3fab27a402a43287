import Foundation
import HummingbirdTesting
import SmartLampServer

/// The parts of an envelope tests look at.
package struct EnvelopeProbe: Decodable {
  package struct ErrorBody: Decodable {
    package let code: String
    package let message: String
    package let details: JSONValue?
  }
  package struct Meta: Decodable {
    package let requestId: String
    package let timestamp: String
    package let version: String
  }
  package let success: Bool
  package let data: JSONValue?
  package let error: ErrorBody?
  package let meta: Meta

  package init(_ response: TestResponse) throws {
    self = try JSONDecoder().decode(EnvelopeProbe.self, from: Data(response.body.readableBytesView))
  }
}
