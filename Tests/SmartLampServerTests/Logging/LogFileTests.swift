import Foundation
import Logging
import TestSupport
import Testing

@testable import SmartLampServer

/// `log.file`: the log goes to a file that rotates by size, so a server left running for years keeps its disk.
@Suite struct LogFileTests {
  @Test func theFileRotatesBySizeAndKeepsOnlyTheNewestCopies() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("smartlamp.log")
    let sink = LogSink(rotation: .init(path: path, maxBytes: 100, keep: 2))
    for index in 0..<20 { sink.write("line \(String(format: "%02d", index)) of the log, 30 bytes\n") }

    let manager = FileManager.default
    let names = try manager.contentsOfDirectory(atPath: dir.path).sorted()
    #expect(names == ["smartlamp.log", "smartlamp.log.1", "smartlamp.log.2"])
    for name in names {
      let size = try #require(try manager.attributesOfItem(atPath: dir.file(name))[.size] as? Int)
      #expect(size <= 100, "\(name) has \(size) bytes")
    }
    // Nothing is lost between the current file and the newest copy: the last lines written are all there, in order.
    let recent =
      try String(contentsOfFile: path + ".1", encoding: .utf8) + String(contentsOfFile: path, encoding: .utf8)
    #expect(recent.hasSuffix("line 18 of the log, 30 bytes\nline 19 of the log, 30 bytes\n"))
    #expect(try String(contentsOfFile: path + ".2", encoding: .utf8).hasPrefix("line 1"))
  }

  @Test func aRestartAppendsToTheFileAndCountsWhatIsAlreadyThere() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("smartlamp.log")
    try String(repeating: "x", count: 90).write(toFile: path, atomically: true, encoding: .utf8)
    LogSink(rotation: .init(path: path, maxBytes: 100, keep: 1)).write("a line longer than ten bytes\n")
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "a line longer than ten bytes\n")
    #expect(try String(contentsOfFile: path + ".1", encoding: .utf8) == String(repeating: "x", count: 90))
  }

  @Test func aFullDiskSendsTheLineToStandardErrorInsteadOfStoppingTheServer() throws {
    // /dev/full refuses every write with ENOSPC, as a full data disk would.
    try #require(FileManager.default.isWritableFile(atPath: "/dev/full"))
    // Never rotated (the limit is never reached): rotating would rename /dev/full itself.
    let sink = LogSink(rotation: .init(path: "/dev/full", maxBytes: .max, keep: 1))
    sink.write("a line the disk has no room for\n")
    sink.write("and the next one\n")
  }

  @Test func theHandlerWritesItsLinesThroughTheConfiguredFile() throws {
    let dir = TemporaryDirectory()
    var config = Configuration()
    config.logFile = dir.file("server.log")
    config.logFormat = .json
    var logger = Logger(label: "probe") { label in
      SmartLampLogHandler(
        label: label, level: .info, format: config.logFormat, sink: SmartLampLogHandler.sink(for: config))
    }
    logger[metadataKey: "component"] = "test"
    logger.info("written to the file")
    let line = try String(contentsOfFile: dir.file("server.log"), encoding: .utf8)
    #expect(line.contains(#""message":"written to the file""#) && line.contains(#""component":"test""#))
  }

  @Test func aLogFileInAFolderThatDoesNotExistIsRefusedAtStart() throws {
    let environment = ["SMARTLAMP_LOG_FILE": "/nonexistent-folder/smartlamp.log"]
    #expect(throws: (any Error).self) { try ConfigurationLoader(environment: environment, dotEnvFile: nil).load() }
    let dir = TemporaryDirectory()
    let accepted = try ConfigurationLoader(
      environment: ["SMARTLAMP_LOG_FILE": dir.file("s.log"), "SMARTLAMP_LOG_FILE_MAX_MIB": "1"], dotEnvFile: nil
    ).load()
    #expect(accepted.logFile == dir.file("s.log") && accepted.logFileMaxMiB == 1)
  }
}
