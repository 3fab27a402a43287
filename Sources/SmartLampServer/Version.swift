/// The server's name and version as the API and the CLI report them.
public enum SmartLampVersion {
  public static let name = "smartlamp-backend"
  public static let version = "0.1.0"
}
