import Testing

@testable import SmartLampServer

/// The text writer and the in-process registries, without a server.
@Suite struct ExpositionTests {
  @Test func labelValuesAndHelpAreEscaped() throws {
    let family = MetricFamily.simple(
      "smartlamp_test_total", .counter, help: "Back\\slash and\nnew line", labelNames: ["route"],
      series: [(["a\"b\\c\nd"], 2)])
    let text = Exposition.render([family])
    #expect(
      text == """
        # HELP smartlamp_test_total Back\\\\slash and\\nnew line
        # TYPE smartlamp_test_total counter
        smartlamp_test_total{route="a\\"b\\\\c\\nd"} 2

        """)
    let parsed = try ParsedExposition(text)
    #expect(parsed.samples("smartlamp_test_total").first?.labels["route"] == "a\"b\\c\nd")
  }

  @Test func valuesUseTheFormatsSpelling() {
    #expect(Exposition.format(3) == "3")
    #expect(Exposition.format(0.25) == "0.25")
    #expect(Exposition.format(.infinity) == "+Inf")
    #expect(Exposition.format(-.infinity) == "-Inf")
    #expect(Exposition.format(.nan) == "NaN")
    #expect(Exposition.format(1e20) == "1e+20")
  }

  @Test func histogramsAreCumulativeWithSumAndCount() throws {
    let histogram = LabelledHistogram("smartlamp_test_seconds", help: "h", labelNames: ["route"], bounds: [0.1, 1])
    for value in [0.05, 0.1, 0.5, 3, .nan] { histogram.observe(value, ["/x"]) }
    histogram.observe(1, ["/y"])
    histogram.observe(1, ["too", "many"])
    let parsed = try ParsedExposition(Exposition.render([histogram.family]))
    let buckets = parsed.samples("smartlamp_test_seconds_bucket", where: ["route": "/x"]).map(\.value)
    #expect(buckets == [2, 3, 4])
    #expect(parsed.value("smartlamp_test_seconds_sum", where: ["route": "/x"]) == 3.65)
    #expect(parsed.value("smartlamp_test_seconds_count", where: ["route": "/x"]) == 4)
    #expect(parsed.value("smartlamp_test_seconds_count", where: ["route": "/y"]) == 1)
    #expect(histogram.count(["too", "many"]) == 0, "a sample with the wrong label count is dropped")
  }

  @Test func httpLabelsStayBounded() {
    let metrics = HTTPMetrics()
    metrics.record(method: "BREW", route: nil, status: 418, elapsed: .milliseconds(3))
    metrics.record(method: "GET", route: "NotFound", status: 404, elapsed: .milliseconds(1))
    metrics.record(method: "GET", route: "/api/v1/users/{userId}", status: 200, elapsed: .milliseconds(1))
    #expect(metrics.requests.value(["OTHER", "unmatched", "418"]) == 1)
    #expect(metrics.requests.value(["GET", "unmatched", "404"]) == 1)
    #expect(metrics.requests.value(["GET", "/api/v1/users/{userId}", "200"]) == 1)
    #expect(metrics.duration.count(["unmatched"]) == 2)
  }

  @Test func commandOutcomesAreCountedWithTheirLatency() throws {
    let metrics = CommandOutcomeMetrics()
    metrics.record(.acked(at: 0, latencyMs: 40))
    metrics.record(.acked(at: 0, latencyMs: 2000))
    metrics.record(.timeout)
    #expect(metrics.outcomes.value(["ACKED"]) == 2)
    #expect(metrics.outcomes.value(["TIMEOUT"]) == 1)
    let parsed = try ParsedExposition(Exposition.render([metrics.ackLatency.family]))
    #expect(parsed.value("smartlamp_command_ack_latency_seconds_bucket", where: ["le": "0.05"]) == 1)
    #expect(parsed.value("smartlamp_command_ack_latency_seconds_bucket", where: ["le": "2.5"]) == 2)
    #expect(parsed.value("smartlamp_command_ack_latency_seconds_sum") == 2.04)
  }

  @Test func theParserRejectsBrokenText() {
    #expect(throws: ParsedExposition.Problem.self) { try ParsedExposition("smartlamp_x 1\n") }
    #expect(throws: ParsedExposition.Problem.self) {
      try ParsedExposition("# HELP smartlamp_x x\n# TYPE smartlamp_x gauge\nsmartlamp_x{a=\"b} 1\n")
    }
    #expect(throws: ParsedExposition.Problem.self) {
      try ParsedExposition(
        "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")
    }
  }

  @Test func theTokenSettingIsASecretAndItsErrorsNeverQuoteIt() throws {
    let setting = try #require(Setting.named("metrics.token"))
    #expect(setting.secret)
    let good = "abcdefghijklmnop-0123"
    let loaded = try ConfigurationLoader(environment: ["SMARTLAMP_METRICS_TOKEN": good], dotEnvFile: nil).load()
    #expect(loaded.metricsToken == good)
    #expect(try ConfigurationLoader(environment: [:], dotEnvFile: nil).load().metricsToken == nil)
    for bad in ["short-token", "has a space inside of it"] {
      do {
        _ = try ConfigurationLoader(environment: ["SMARTLAMP_METRICS_TOKEN": bad], dotEnvFile: nil).load()
        Issue.record("\(bad) was accepted")
      } catch {
        #expect(error.description.contains("metrics.token"))
        #expect(!error.description.contains(bad))
      }
    }
  }

  @Test func aPrintedConfigurationHidesEverySecret() {
    var config = Configuration()
    config.metricsToken = "metrics-secret-value-1"
    config.jwtSecret = "jwt-secret-value-of-some-length-2"
    config.mqttPassword = "mqtt-secret-value-3"
    config.adminPassword = "admin-secret-value-4"
    config.databaseURL = "mariadb://u:db-secret-value-5@host:3306/lamps"
    config.database = .mariadb(host: "host", port: 3306, user: "u", password: "db-secret-value-5", database: "lamps")
    struct Holder { let configuration: Configuration }
    for text in ["\(config)", String(reflecting: config), "\(Holder(configuration: config))"] {
      #expect(!text.contains("secret-value"), "\(text)")
      #expect(text.contains("metricsToken: <redacted>"))
      #expect(text.contains("httpPort: 8787"))
    }
  }

  @Test func tokensCompareByContent() {
    #expect(MetricsRoutes.tokensMatch("abc", "abc"))
    #expect(!MetricsRoutes.tokensMatch("abc", "abd"))
    #expect(!MetricsRoutes.tokensMatch("abc", "abcd"))
    #expect(!MetricsRoutes.tokensMatch("", "abc"))
  }
}
