import MQTT
import Tasmota

/// A broker message classified once for every consumer (discovery and device state): a native lamp's when its
/// topic is one (`home/<id>/…`), else Tasmota's.
struct DeviceMessage: Sendable {
  enum Parsed: Sendable {
    case native(NativeMessage)
    case tasmota(TasmotaMessage)
  }

  let topic: String
  let parsed: Parsed

  init(topic: String, parsed: Parsed) {
    self.topic = topic
    self.parsed = parsed
  }

  init(_ message: MQTTMessage) {
    let payload = Array(message.payload.readableBytesView)
    topic = message.topic
    if let native = NativeMessage.parse(topic: message.topic, payload: payload) {
      parsed = .native(native)
    } else {
      parsed = .tasmota(TasmotaMessage.parse(topic: message.topic, payload: payload))
    }
  }
}
