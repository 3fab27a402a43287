import Foundation
import PackagePlugin

/// Embeds the web dashboard (`Dashboard/`) and the OpenAPI document in the server module at build time, so the
/// binary serves them wherever it is started or installed, with no folder or resource bundle beside it.
@main
struct EmbedDashboard: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
    let dashboard = context.package.directoryURL.appending(path: "Dashboard")
    var inputs = Self.files(under: dashboard)
    let openAPI = context.package.directoryURL.appending(path: "Sources/SmartLampServer/Resources/openapi.json")
    inputs.append(openAPI)
    let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
    return [
      .buildCommand(
        displayName: "Embedding the dashboard (\(inputs.count) files)",
        executable: try context.tool(named: "DashboardEmbedder").url,
        arguments: [output.path(), dashboard.path(), openAPI.path()],
        inputFiles: inputs,
        outputFiles: [output])
    ]
  }

  /// Every regular, non-hidden file below `root`, sorted, so the generated source is stable.
  static func files(under root: URL) -> [URL] {
    guard
      let walker = FileManager.default.enumerator(
        at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
    else { return [] }
    var found: [URL] = []
    for case let url as URL in walker
    where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
      found.append(url)
    }
    return found.sorted { $0.path() < $1.path() }
  }
}
