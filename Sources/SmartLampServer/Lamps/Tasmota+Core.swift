import SmartLampCore
import SmartLampStore
import Tasmota

// Every bridge between the wire's terms (`Tasmota`) and the server's (`SmartLampCore`, `SmartLampStore`), in one
// place. The modules stay apart on purpose: `Tasmota` knows no API or storage, Core knows no wire format.

extension CommandChannel {
  /// The same relay as a Tasmota channel; `POWER` if the index were ever outside 0…32.
  init(tasmota channel: TasmotaChannel) {
    self = (try? CommandChannel(index: channel.index)) ?? .power
  }
}

extension TasmotaChannel {
  /// The relay a channel addresses: `POWER` and `POWER1` are both relay 1.
  var relay: Int { Swift.max(index, 1) }
}

extension TasmotaPower {
  /// The state a lamp reports once it carried out `action`.
  init(_ action: PowerAction) { self = action == .on ? .on : .off }

  /// A stored state the wire knows; nil for `UNKNOWN`.
  init?(_ state: PowerState) { self.init(rawValue: state.rawValue) }
}

extension TasmotaPowerAction {
  /// The wire's command for an API action.
  init(_ action: PowerAction) { self = action == .on ? .on : .off }
}

extension PowerAction {
  /// A reported state as the action that leads to it (device history rows).
  init(_ power: TasmotaPower) { self = power == .on ? .on : .off }
}

extension PowerState {
  /// A reported state, or `UNKNOWN` when none was heard.
  init(_ power: TasmotaPower?) { self = power.map { $0 == .on ? .on : .off } ?? .unknown }
}
