import Foundation

/// Where `smartlamp install` puts things on a systemd machine and what it writes there: the unit with its
/// hardening and the first config file. Paths are the real ones; the installer writes them under an optional root
/// prefix (tests install into a temporary folder).
public struct ServiceLayout: Sendable {
  public var user = "smartlamp"
  public var binary = "/usr/local/bin/smartlamp"
  public var configFile = "/etc/smartlamp/config.json"
  public var dataDirectory = "/var/lib/smartlamp"
  public var unitFile = "/etc/systemd/system/smartlamp.service"

  public init() {}

  /// The unit. The service may write only to its data folder; everything else is read-only or hidden. It may bind
  /// ports below 1024 (443 for HTTPS, 80 for the redirect) without running as root. Logs go to the journal, which
  /// rotates them.
  public var unit: String {
    """
    [Unit]
    Description=SmartLamp household lamp server
    After=network-online.target mosquitto.service
    Wants=network-online.target

    [Service]
    Type=exec
    User=\(user)
    Group=\(user)
    ExecStart=\(binary) serve --config \(configFile)
    ExecReload=/bin/kill -HUP $MAINPID
    WorkingDirectory=\(dataDirectory)
    Restart=on-failure
    RestartSec=5s
    TimeoutStopSec=30s
    UMask=0077
    LimitNOFILE=65536

    # Hardening: read-only system, private /tmp, no privilege gain; only the data folder is writable.
    NoNewPrivileges=yes
    ProtectSystem=strict
    ReadWritePaths=\(dataDirectory)
    ProtectHome=yes
    PrivateTmp=yes
    PrivateDevices=yes
    ProtectKernelTunables=yes
    ProtectKernelModules=yes
    ProtectKernelLogs=yes
    ProtectControlGroups=yes
    ProtectClock=yes
    ProtectHostname=yes
    RestrictNamespaces=yes
    RestrictRealtime=yes
    RestrictSUIDSGID=yes
    LockPersonality=yes
    SystemCallArchitectures=native
    RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
    CapabilityBoundingSet=CAP_NET_BIND_SERVICE
    AmbientCapabilities=CAP_NET_BIND_SERVICE

    StandardOutput=journal
    StandardError=journal
    SyslogIdentifier=smartlamp

    [Install]
    WantedBy=multi-user.target

    """
  }

  /// The first config file: the household's LAN, SQLite in the data folder, a local broker. Secrets added later
  /// (broker password, TLS key paths) stay private because the file is mode 0600.
  public var initialConfig: String {
    """
    {
      "http": { "host": "0.0.0.0", "port": 8787 },
      "database": { "url": "sqlite://\(dataDirectory)/smartlamp.sqlite" },
      "data": { "dir": "\(dataDirectory)" },
      "mqtt": { "url": "mqtt://127.0.0.1:1883" },
      "log": { "format": "text", "level": "info" }
    }

    """
  }
}
