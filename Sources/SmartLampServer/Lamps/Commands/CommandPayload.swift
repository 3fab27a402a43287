import Crypto
import Foundation
import SmartLampCore
import Tasmota

/// What goes on the wire for one command, chosen per device: the plain Tasmota `ON`/`OFF` on `cmnd/<id>/<CHANNEL>`
/// for a device without a secret, the signed envelope of the native profile on `cmnd/<id>/POWER` for one with a
/// secret (issue #11; a native lamp has one relay and acts on `POWER` only, whatever channel was registered). QoS 1,
/// never retained; the id is the one the device writes itself when it was heard (a lamp subscribes in its own
/// case), else the registered `mqttDeviceId`.
struct CommandPayload: Sendable {
  let topic: String
  let payload: String
  /// The envelope's request id, which the lamp echoes in its status: the acknowledgement of a signed command.
  /// nil for plain commands (acknowledged by the reported power).
  let wireRequestID: String?

  static func make(
    device: LampDevice, action: PowerAction, requestId: String, issuedAt: Int64, wireID: String?,
    order: TasmotaTopicOrder
  ) throws -> CommandPayload {
    let id = wireID ?? device.mqttDeviceId
    let tasmotaAction = TasmotaPowerAction(action)
    guard let secret = device.secret else {
      let topic = TasmotaCommand.topic(deviceID: id, channel: device.channel, order: order)
      return CommandPayload(topic: topic, payload: tasmotaAction.payload, wireRequestID: nil)
    }
    let envelope: NativeEnvelope
    do {
      envelope = try NativeEnvelope(
        deviceID: id, action: tasmotaAction, requestID: NativeCommandSigner.wireRequestID(requestId),
        issuedAt: issuedAt, expiresAt: issuedAt + NativeEnvelope.defaultLifetimeMs,
        nonce: UUID().uuidString.lowercased())
    } catch {
      throw APIError.unsignable(device.deviceId)
    }
    return CommandPayload(
      topic: TasmotaCommand.topic(deviceID: id, channel: .power, order: order),
      payload: NativeCommandSigner.signedJSON(envelope, secret: secret), wireRequestID: envelope.requestID)
  }
}

/// Signs native envelopes: `sig` = lowercase hex HMAC-SHA256 over the canonical string, keyed with the UTF-8 bytes
/// of the device's secret (checked against the firmware's shared vectors in `NativeSigningTests`).
enum NativeCommandSigner {
  static func signature(_ envelope: NativeEnvelope, secret: DeviceSecret) -> String {
    signature(canonical: envelope.canonical, key: secret.keyBytes)
  }

  static func signature(canonical: String, key: [UInt8]) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: Array(canonical.utf8), using: SymmetricKey(data: key))
    return NativeEnvelope.hex(mac)
  }

  static func signedJSON(_ envelope: NativeEnvelope, secret: DeviceSecret) -> String {
    envelope.json(signature: signature(envelope, secret: secret))
  }

  /// The API's request id when the lamp can carry it (1–64 of its alphabet), so both sides log the same id;
  /// otherwise a fresh id the acknowledgement is matched by instead.
  static func wireRequestID(_ requestId: String) -> String {
    NativeIdentifier.isValid(requestId) ? requestId : "sl-" + UUID().uuidString.lowercased()
  }
}
