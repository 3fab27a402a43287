/// Power-state extraction from JSON objects (UPSTREAM §9.4).
public enum TasmotaPowerStates {
  /// Every power key of an object, ordered by channel:
  /// - `POWER` with a switch value → `POWER`;
  /// - `POWER` with a string of only `0`/`1` longer than one character → bitmask, character i → `POWER<i+1>`
  ///   (`"010"` → POWER1 OFF, POWER2 ON, POWER3 OFF);
  /// - `POWER<n>` (any case) with a switch value → that channel.
  public static func extract(from object: [String: TasmotaJSON]) -> [TasmotaChannelState] {
    var states: [TasmotaChannel: TasmotaPower] = [:]
    for (key, value) in object {
      guard let channel = TasmotaChannel(parsing: key) else { continue }
      if channel == .power, case .string(let text) = value, let bits = bitmask(text) {
        for (offset, bit) in bits.enumerated() {
          if let indexed = TasmotaChannel(index: offset + 1) { states[indexed] = bit }
        }
      } else if let power = TasmotaPower(json: value) {
        states[channel] = power
      }
    }
    return states.map { TasmotaChannelState($0.key, $0.value) }.sorted { $0.channel < $1.channel }
  }

  /// Same, for any JSON value; non-objects have no power states.
  public static func extract(from json: TasmotaJSON) -> [TasmotaChannelState] {
    json.objectValue.map { extract(from: $0) } ?? []
  }

  /// The channels named in an object, ordered.
  public static func channels(in object: [String: TasmotaJSON]) -> [TasmotaChannel] {
    extract(from: object).map(\.channel)
  }

  /// The state of the first channel in channel order, nil when there is none.
  public static func overall(_ states: [TasmotaChannelState]) -> TasmotaPower? {
    states.min { $0.channel < $1.channel }?.power
  }

  /// A `0`/`1` string of length 2 … 32 as per-relay states; nil otherwise.
  static func bitmask(_ text: String) -> [TasmotaPower]? {
    let trimmed = text.trimmingASCIIWhitespace()
    guard trimmed.count > 1, trimmed.count <= TasmotaChannel.maximumIndex,
      trimmed.allSatisfy({ $0 == "0" || $0 == "1" })
    else { return nil }
    return trimmed.map { $0 == "1" ? .on : .off }
  }
}
