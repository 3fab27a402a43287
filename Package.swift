// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
  name: "SmartLamp",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "smartlamp", targets: ["smartlamp"]),
    .library(name: "MQTT", targets: ["MQTT"]),
    .library(name: "Tasmota", targets: ["Tasmota"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
    .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
    .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
  ],
  targets: [
    // MARK: libraries, in dependency order (arrows point down, never back)
    .target(
      name: "MQTT",
      dependencies: [
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // The one JSON reader, shared by Tasmota's payloads and the server's bodies.
    .target(name: "JSONCore", swiftSettings: swiftSettings),
    .target(name: "Tasmota", dependencies: ["JSONCore"], swiftSettings: swiftSettings),
    .target(name: "SmartLampCore", swiftSettings: swiftSettings),
    .systemLibrary(
      name: "CMariaDB",
      pkgConfig: "libmariadb",
      providers: [.apt(["libmariadb-dev"])]
    ),
    .target(
      name: "SmartLampStore",
      dependencies: [
        "SmartLampCore", "CMariaDB",
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "DeviceSimulator",
      dependencies: [
        "MQTT", "Tasmota",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SmartLampServer",
      dependencies: [
        "MQTT", "JSONCore", "Tasmota", "SmartLampCore", "SmartLampStore", "DeviceSimulator",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "HummingbirdHTTP2", package: "hummingbird"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "CryptoExtras", package: "swift-crypto"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      exclude: ["Resources/openapi.json"],
      swiftSettings: swiftSettings,
      plugins: ["EmbedDashboard"]
    ),
    // Embeds Dashboard/ and the OpenAPI document in the server module (the binary needs no files beside it).
    .executableTarget(name: "DashboardEmbedder", swiftSettings: swiftSettings),
    .plugin(name: "EmbedDashboard", capability: .buildTool(), dependencies: ["DashboardEmbedder"]),
    .executableTarget(
      name: "smartlamp",
      dependencies: [
        "SmartLampServer", "SmartLampStore", "SmartLampCore", "DeviceSimulator", "MQTT", "Tasmota",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),

    .executableTarget(
      name: "MQTTBench",
      dependencies: [
        "MQTT",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "LampBench",
      // The server runs as its own process (the smartlamp binary of the same build), so its memory is its own.
      dependencies: [
        "DeviceSimulator", "MQTT",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "StoreBench",
      dependencies: ["SmartLampStore", "SmartLampCore"],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "TasmotaBench",
      dependencies: ["Tasmota", "DeviceSimulator", "MQTT", .product(name: "Logging", package: "swift-log")],
      swiftSettings: swiftSettings
    ),

    // MARK: test support and tests
    .target(
      name: "TestSupport",
      dependencies: [.product(name: "Logging", package: "swift-log")],
      path: "Tests/TestSupport",
      swiftSettings: swiftSettings
    ),
    // One API client for the server's tests and the command-line tests that drive `smartlamp serve`.
    .target(
      name: "ServerTestSupport",
      dependencies: [
        "SmartLampServer",
        .product(name: "HummingbirdTesting", package: "hummingbird"),
      ],
      path: "Tests/ServerTestSupport",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "MQTTTests",
      dependencies: [
        "MQTT", "TestSupport",
        .product(name: "NIOEmbedded", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(name: "TasmotaTests", dependencies: ["Tasmota", "TestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "SmartLampCoreTests", dependencies: ["SmartLampCore", "TestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "SmartLampStoreTests",
      dependencies: ["SmartLampStore", "SmartLampCore", "TestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(name: "CMariaDBTests", dependencies: ["CMariaDB"], swiftSettings: swiftSettings),
    .testTarget(
      name: "DeviceSimulatorTests",
      dependencies: [
        "DeviceSimulator", "MQTT", "Tasmota", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SmartLampServerTests",
      dependencies: [
        "SmartLampServer", "SmartLampStore", "SmartLampCore", "MQTT", "DeviceSimulator", "TestSupport",
        "ServerTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "smartlampTests",
      dependencies: ["smartlamp", "TestSupport", "ServerTestSupport", "SmartLampStore", "SmartLampCore"],
      swiftSettings: swiftSettings
    ),
  ]
)
