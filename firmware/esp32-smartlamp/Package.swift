// swift-tools-version: 6.2
// The SmartLamp ESP32 firmware's Swift side, kept out of the root package so the server build stays fast:
// LampCore (the lamp's logic, Embedded-Swift compatible), the host lamp (LampCore + libmosquitto as a process)
// and the core's unit tests.
import PackageDescription

let package = Package(
  name: "esp32-smartlamp",
  products: [
    .library(name: "LampCore", targets: ["LampCore"]),
    .executable(name: "host-lamp", targets: ["HostLamp"]),
  ],
  targets: [
    .target(name: "LampCore"),
    .systemLibrary(
      name: "CMosquitto",
      pkgConfig: "libmosquitto",
      providers: [.apt(["libmosquitto-dev"])]
    ),
    .executableTarget(name: "HostLamp", dependencies: ["LampCore", "CMosquitto"]),
    .testTarget(name: "LampCoreTests", dependencies: ["LampCore"]),
  ],
  swiftLanguageModes: [.v6]
)
