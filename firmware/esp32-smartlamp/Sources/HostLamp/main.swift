import CMosquitto
import Glibc
import LampCore

/// Set by SIGTERM/SIGINT; the loop then says OFFLINE and disconnects cleanly.
nonisolated(unsafe) var hostStopSignal: Int32 = 0

func fail(_ message: String, code: Int32 = 2) -> Never {
  let line = Array("host-lamp: \(message)\n".utf8)
  _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
  exit(code)
}

func runHostLamp() {
  let options: HostOptions
  switch HostOptions.parse(CommandLine.arguments) {
  case .success(let parsed): options = parsed
  case .failure(.usage(let message)):
    fail(message.isEmpty ? HostOptions.usage : "\(message)\n\(HostOptions.usage)")
  case .failure(let error): fail("\(error)")
  }
  signal(SIGTERM) { _ in hostStopSignal = 1 }
  signal(SIGINT) { _ in hostStopSignal = 1 }
  signal(SIGPIPE, SIG_IGN)

  mosquitto_lib_init()
  defer { mosquitto_lib_cleanup() }
  guard let mosq = mosquitto_new("lamp-\(options.deviceId)", true, nil) else { fail("mosquitto_new failed") }
  defer { mosquitto_destroy(mosq) }
  if let user = options.user {
    guard mosquitto_username_pw_set(mosq, user, options.password) == Int32(MOSQ_ERR_SUCCESS.rawValue) else {
      fail("cannot set credentials")
    }
  }
  if options.tls {
    // Peer verification on (mode 1), hostname checked against the certificate: no insecure mode exists here.
    guard mosquitto_tls_set(mosq, options.caFile, nil, nil, nil, nil) == Int32(MOSQ_ERR_SUCCESS.rawValue),
      mosquitto_tls_opts_set(mosq, 1, "tlsv1.2", nil) == Int32(MOSQ_ERR_SUCCESS.rawValue),
      mosquitto_tls_insecure_set(mosq, false) == Int32(MOSQ_ERR_SUCCESS.rawValue)
    else { fail("cannot configure TLS with \(options.caFile ?? "?")") }
  }

  let runner: HostRunner
  do {
    runner = try HostRunner(options: options, mosq: mosq)
  } catch {
    fail("\(error)")
  }
  let willTopic = runner.lamp.willTopic.string
  guard mosquitto_will_set(mosq, willTopic, 7, "OFFLINE", 1, true) == Int32(MOSQ_ERR_SUCCESS.rawValue) else {
    fail("cannot set the Will")
  }
  let context = Unmanaged.passUnretained(runner).toOpaque()
  mosquitto_user_data_set(mosq, context)
  mosquitto_connect_callback_set(mosq) { _, context, code in
    guard let context else { return }
    Unmanaged<HostRunner>.fromOpaque(context).takeUnretainedValue().onConnect(code)
  }
  mosquitto_disconnect_callback_set(mosq) { _, context, code in
    guard let context else { return }
    Unmanaged<HostRunner>.fromOpaque(context).takeUnretainedValue().onDisconnect(code)
  }
  mosquitto_message_callback_set(mosq) { _, context, message in
    guard let context, let message, let topic = message.pointee.topic else { return }
    Unmanaged<HostRunner>.fromOpaque(context).takeUnretainedValue().onMessage(
      topic: topic, payload: message.pointee.payload, length: message.pointee.payloadlen)
  }
  runner.run()
  withExtendedLifetime(runner) {}
}

runHostLamp()
