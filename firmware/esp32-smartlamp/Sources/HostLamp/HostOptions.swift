import Glibc
import LampCore

/// The host lamp's command line. Secrets can come from a file or the environment so they need not appear in `ps`.
struct HostOptions {
  var host = "127.0.0.1"
  var port: Int32 = 1883
  var tls = false
  var caFile: String? = nil
  var user: String? = nil
  var password: String? = nil
  var deviceId = ""
  var secret = ""
  var restore = RestorePolicy.last
  var stateFile: String? = nil
  var keepAliveSeconds: Int32 = 30
  var monotonicStartMs: UInt32? = nil
  var reconnectInitialMs: UInt32 = 1_000
  var reconnectMaxMs: UInt32 = 60_000

  static let usage = """
    usage: host-lamp --device-id ID [options]
      --broker URL            mqtt://host:port or mqtts://host:port (default mqtt://127.0.0.1:1883)
      --cafile PATH           CA certificate that must have signed the broker's certificate (required for mqtts)
      --user NAME             MQTT user name
      --password-file PATH    MQTT password, first line of the file (or env LAMP_MQTT_PASSWORD)
      --secret-file PATH      HMAC secret, first line of the file (or env LAMP_SECRET); the lamp then
                              requires signed envelopes for switching
      --restore last|off|on   relay state after a restart (default last)
      --state-file PATH       where the relay state and nonce high-water mark are kept
      --keepalive SECONDS     MQTT keep-alive, 5..600 (default 30)
      --reconnect-ms MIN,MAX  reconnect backoff bounds (default 1000,60000)
      --monotonic-start MS    start the 32-bit millisecond counter here (e.g. 4294960000 to cross the wrap)
    stdin lines: "press" presses the button for 120 ms; "quit" stops the lamp.
    """

  static func parse(_ arguments: [String]) -> Result<HostOptions, HostError> {
    var options = HostOptions()
    var iterator = arguments.dropFirst().makeIterator()
    func value(_ flag: String) -> Result<String, HostError> {
      guard let next = iterator.next() else { return .failure(.usage("\(flag) needs a value")) }
      return .success(next)
    }
    while let flag = iterator.next() {
      let result: Result<Void, HostError>
      switch flag {
      case "--broker": result = value(flag).flatMap { options.setBroker($0) }
      case "--cafile": result = value(flag).map { options.caFile = $0 }
      case "--user": result = value(flag).map { options.user = $0 }
      case "--password-file": result = value(flag).flatMap(readFirstLine).map { options.password = $0 }
      case "--secret-file": result = value(flag).flatMap(readFirstLine).map { options.secret = $0 }
      case "--device-id": result = value(flag).map { options.deviceId = $0 }
      case "--restore":
        result = value(flag).flatMap { text in
          guard let policy = RestorePolicy(Array(text.utf8).span) else {
            return .failure(.usage("--restore must be last, off or on"))
          }
          options.restore = policy
          return .success(())
        }
      case "--state-file": result = value(flag).map { options.stateFile = $0 }
      case "--keepalive":
        result = value(flag).flatMap { text in
          guard let seconds = Int32(text), (5...600).contains(seconds) else {
            return .failure(.usage("--keepalive must be 5..600"))
          }
          options.keepAliveSeconds = seconds
          return .success(())
        }
      case "--reconnect-ms":
        result = value(flag).flatMap { text in
          let parts = text.split(separator: ",").compactMap { UInt32($0) }
          guard parts.count == 2, parts[0] > 0, parts[1] >= parts[0] else {
            return .failure(.usage("--reconnect-ms needs MIN,MAX"))
          }
          options.reconnectInitialMs = parts[0]
          options.reconnectMaxMs = parts[1]
          return .success(())
        }
      case "--monotonic-start":
        result = value(flag).flatMap { text in
          guard let start = UInt32(text) else { return .failure(.usage("--monotonic-start must be 0..4294967295")) }
          options.monotonicStartMs = start
          return .success(())
        }
      case "-h", "--help": return .failure(.usage(""))
      default: result = .failure(.usage("unknown option \(flag)"))
      }
      if case .failure(let error) = result { return .failure(error) }
    }
    if options.password == nil, let env = getenv("LAMP_MQTT_PASSWORD") { options.password = String(cString: env) }
    if options.secret.isEmpty, let env = getenv("LAMP_SECRET") { options.secret = String(cString: env) }
    guard !options.deviceId.isEmpty else { return .failure(.usage("--device-id is required")) }
    if options.tls && options.caFile == nil {
      return .failure(.usage("mqtts needs --cafile: the broker's certificate is always verified"))
    }
    return .success(options)
  }

  mutating func setBroker(_ url: String) -> Result<Void, HostError> {
    let rest: Substring
    if url.hasPrefix("mqtts://") {
      tls = true
      rest = url.dropFirst(8)
    } else if url.hasPrefix("mqtt://") {
      tls = false
      rest = url.dropFirst(7)
    } else {
      return .failure(.usage("--broker must start with mqtt:// or mqtts://"))
    }
    let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count <= 2, let name = parts.first, !name.isEmpty else { return .failure(.usage("bad --broker")) }
    host = String(name)
    if parts.count == 2 {
      guard let number = Int32(parts[1].prefix { $0 != "/" }), (1...65535).contains(number) else {
        return .failure(.usage("bad port in --broker"))
      }
      port = number
    } else {
      port = tls ? 8883 : 1883
    }
    return .success(())
  }
}

enum HostError: Error {
  case usage(String)
  case config(String)
  case mqtt(String)
}

/// The first line of a file without its newline (secrets and passwords).
func readFirstLine(_ path: String) -> Result<String, HostError> {
  guard let file = fopen(path, "r") else { return .failure(.config("cannot read \(path)")) }
  defer { fclose(file) }
  var buffer = [CChar](repeating: 0, count: 1024)
  guard fgets(&buffer, Int32(buffer.count), file) != nil else { return .success("") }
  var line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  while line.hasSuffix("\n") || line.hasSuffix("\r") { line.removeLast() }
  return .success(line)
}
