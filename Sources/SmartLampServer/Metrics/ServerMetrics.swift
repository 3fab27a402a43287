import Logging

/// `GET /metrics` (CONTRACT §5): Prometheus text format 0.0.4 for admins or the configured `metrics.token`.
///
/// Counters that only this process can see (HTTP requests, acknowledgement outcomes and latencies, broker
/// messages) live in small in-process registries; gauges are read from the running services at scrape time, and
/// the audit log and schedule run history are counted in the database, which every instance shares (retention
/// prunes them, so those are gauges). Every label value comes from a bounded set.
final class ServerMetrics: Sendable {
  let http = HTTPMetrics()
  let started = ContinuousClock.now
  /// The per-address connection cap, whose refusals never reach the router (so never the HTTP request counts).
  let connections: ConnectionLimiter

  init(connections: ConnectionLimiter) {
    self.connections = connections
  }

  /// Every family, in a fixed order. A database failure leaves out the stored totals rather than the whole scrape,
  /// so broker and HTTP figures stay visible exactly when something is wrong.
  func collect(_ services: AppServices) async -> [MetricFamily] {
    let lamps = services.lamps
    var families: [MetricFamily] = [
      .simple(
        "smartlamp_build_info", .gauge, help: "Always 1; the version label names the running build",
        labelNames: ["version"], series: [([SmartLampVersion.version], 1)]),
      .single(
        "smartlamp_uptime_seconds", .gauge, help: "Seconds since this server started",
        (ContinuousClock.now - started).metricSeconds),
      http.requests.family,
      http.duration.family,
      .single(
        "smartlamp_mqtt_connected", .gauge, help: "1 while the MQTT broker connection is up, else 0",
        lamps.broker.isConnected ? 1 : 0),
      .single(
        "smartlamp_mqtt_connections_total", .counter, help: "Times the MQTT broker connection was established",
        Double(lamps.broker.connectionCount)),
      .single(
        "smartlamp_mqtt_messages_received_total", .counter, help: "MQTT messages received from the broker",
        Double(lamps.broker.messagesReceived)),
      .single(
        "smartlamp_mqtt_malformed_payloads_total", .counter,
        help: "Device messages ignored because their payload could not be parsed (or exceeded the packet limit)",
        Double(lamps.state.counters.malformed + lamps.broker.oversizedSkipped)),
      .single(
        "smartlamp_mqtt_messages_dropped_total", .counter,
        help: "Device messages dropped unread because ingest fell a whole subscription buffer behind",
        Double(lamps.broker.messagesDropped)),
      .single(
        "smartlamp_http_connections_refused_total", .counter,
        help: "Connections refused (429 TOO_MANY_CONNECTIONS): their address held http.max-connections-per-address",
        Double(connections.refusedCount)),
    ]
    var stored: StoredCounts?
    do {
      stored = try await StoredCounts.read(services.database)
    } catch {
      services.logger.warning("metrics: could not read stored totals", metadata: ["error": "\(error)"])
    }
    if let stored {
      families.append(
        .simple(
          "smartlamp_command_log_entries", .gauge,
          help: "Commands kept in the audit log (every instance, within retention) by origin and current status",
          labelNames: ["origin", "status"],
          series: stored.commands.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { ($0.key, $0.value) }))
    }
    let outcomes = lamps.commands.outcomeMetrics
    families += [outcomes.outcomes.family, outcomes.ackLatency.family]
    let devices = lamps.state.devices
    let online = devices.filter { lamps.state.live(mqttKey: $0.mqttKey)?.online == true }.count
    let closedSeries: [([String], Double)] = [
      (["person_limit"], Double(lamps.hub.quota.closedForPersonCount)),
      (["session_limit"], Double(lamps.hub.quota.closedForSessionCount)),
      (["slow_reader"], Double(lamps.hub.droppedCount)),
    ]
    let closedStreams = MetricFamily.simple(
      "smartlamp_realtime_streams_closed_total", .counter,
      help:
        "Realtime streams the server ended: over the per-session or per-person cap (the oldest closed), or a "
        + "reader too slow for its buffer",
      labelNames: ["reason"], series: closedSeries)
    families += [
      .single("smartlamp_devices", .gauge, help: "Registered devices", Double(devices.count)),
      .single(
        "smartlamp_devices_online", .gauge, help: "Registered devices whose last availability report was Online",
        Double(online)),
      .single(
        "smartlamp_realtime_streams", .gauge, help: "Connected realtime event streams",
        Double(lamps.hub.subscriberCount)),
      closedStreams,
      .single(
        "smartlamp_device_history_dropped_total", .counter,
        help: "Device-side power changes left out of the lamp history because the database refused writes too long",
        Double(lamps.history.droppedCount)),
    ]
    if let stored {
      families.append(
        .simple(
          "smartlamp_scheduler_runs", .gauge,
          help: "Schedule runs kept in the run history (every instance, within retention) by status",
          labelNames: ["status"],
          series: stored.scheduleRuns.sorted { $0.key < $1.key }.map { ([$0.key], $0.value) }))
    }
    return families
  }
}
