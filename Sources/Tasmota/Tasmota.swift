/// Tasmota protocol rules as pure functions: topic grammar, command topics, payload parsing, discovery. No I/O.
public enum Tasmota {}
