import CMariaDB
import Foundation

/// One Connector/C connection. Blocking: every call runs on the driver's thread pool, one thread at a time (the
/// pool lends a connection to one caller), hence `@unchecked Sendable` with serialisation by the pool.
final class MariaDBConnection: @unchecked Sendable {
  typealias Statement = UnsafeMutablePointer<MYSQL_STMT>
  private let handle: UnsafeMutablePointer<MYSQL>
  /// Prepared statements by SQL text: the same few statements run on every request.
  private var statements: [String: Statement] = [:]
  private static let statementCacheLimit = 128
  /// Set once a call failed in a way that leaves the connection unusable; the pool then drops it.
  private(set) var isBroken = false
  let serverVersion: Int

  /// Connects (blocking) and prepares the session: utf8mb4, UTC, strict SQL mode.
  init(_ configuration: MariaDBConfiguration) throws(MariaDBConnectFailure) {
    MariaDBLibrary.initialise()
    guard let handle = mysql_init(nil) else {
      throw MariaDBConnectFailure(code: 0, message: "out of memory creating a MariaDB handle")
    }
    self.handle = handle
    var timeout = UInt32(configuration.connectTimeoutSeconds)
    mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &timeout)
    mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
    // Strict: a value that does not fit is an error, never silently cut (SQLite would store it whole). The
    // isolation level is chosen per transaction (MariaDBDatabase).
    mysql_options(
      handle, MYSQL_INIT_COMMAND,
      "SET SESSION time_zone = '+00:00', "
        + "SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
        + "NO_ENGINE_SUBSTITUTION', SESSION innodb_lock_wait_timeout = 10")
    var host: String?
    var port: UInt32 = 0
    var socket: String?
    switch configuration.endpoint {
    case .tcp(let h, let p):
      host = h
      port = UInt32(p)
      var protocolTCP = UInt32(MYSQL_PROTOCOL_TCP.rawValue)
      mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocolTCP)
    case .socket(let path):
      host = "localhost"
      socket = path
      var protocolSocket = UInt32(MYSQL_PROTOCOL_SOCKET.rawValue)
      mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocolSocket)
    }
    if let ca = configuration.tlsCAFile {
      var on: my_bool = 1
      mysql_options(handle, MYSQL_OPT_SSL_CA, ca)
      mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &on)
      mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on)
    }
    let connected = mysql_real_connect(
      handle, host, configuration.user, configuration.password, configuration.database, port, socket,
      UInt(CLIENT_FOUND_ROWS))
    guard connected != nil else {
      let failure = MariaDBConnectFailure(code: mysql_errno(handle), message: String(cString: mysql_error(handle)))
      mysql_close(handle)
      throw failure
    }
    serverVersion = Int(mysql_get_server_version(handle))
  }

  deinit {
    for statement in statements.values { mysql_stmt_close(statement) }
    mysql_close(handle)
  }

  /// Runs a statement without parameters or results through the text protocol (transaction control).
  func run(_ sql: String) throws(SQLError) {
    guard mysql_real_query(handle, sql, UInt(sql.utf8.count)) == 0 else { throw failure() }
    if let result = mysql_store_result(handle) { mysql_free_result(result) }
  }

  func query(_ sql: String, _ binds: [SQLValue]) throws(SQLError) -> [SQLRow] {
    let statement = try prepared(sql)
    try execute(statement, binds)
    defer { mysql_stmt_free_result(statement) }
    return try fetchRows(statement)
  }

  func execute(_ sql: String, _ binds: [SQLValue]) throws(SQLError) -> SQLExecuteResult {
    let statement: Statement
    do {
      statement = try prepared(sql)
    } catch .engine(let code, _) where code == Int(ER_UNSUPPORTED_PS) && binds.isEmpty {
      // Compound statements (`BEGIN NOT ATOMIC … END` in migrations) only run through the text protocol.
      try run(sql)
      let affected = mysql_affected_rows(handle)
      return SQLExecuteResult(rowsAffected: affected == UInt64.max ? 0 : Int(affected), lastInsertID: 0)
    }
    try execute(statement, binds)
    defer { mysql_stmt_free_result(statement) }
    // A statement with a result set (RETURNING, or a SELECT run through execute) must be drained.
    if mysql_stmt_field_count(statement) > 0 { _ = try fetchRows(statement) }
    let affected = mysql_stmt_affected_rows(statement)
    return SQLExecuteResult(
      rowsAffected: affected == UInt64.max ? 0 : Int(affected),
      lastInsertID: Int64(truncatingIfNeeded: mysql_stmt_insert_id(statement)))
  }

  // MARK: statements

  private func prepared(_ sql: String) throws(SQLError) -> Statement {
    if let cached = statements[sql] { return cached }
    guard let statement = mysql_stmt_init(handle) else { throw .connection("out of memory preparing a statement") }
    guard mysql_stmt_prepare(statement, sql, UInt(sql.utf8.count)) == 0 else {
      let error = statementFailure(statement)
      mysql_stmt_close(statement)
      throw error
    }
    var update: my_bool = 1
    mysql_stmt_attr_set(statement, STMT_ATTR_UPDATE_MAX_LENGTH, &update)
    if statements.count >= Self.statementCacheLimit {
      for old in statements.values { mysql_stmt_close(old) }
      statements.removeAll()
    }
    statements[sql] = statement
    return statement
  }

  private func execute(_ statement: Statement, _ binds: [SQLValue]) throws(SQLError) {
    let raw = statement
    let expected = Int(mysql_stmt_param_count(raw))
    guard expected == binds.count else {
      throw .engine(code: 2034, message: "statement expects \(expected) values, got \(binds.count)")
    }
    let parameters = ParameterBuffers(binds)
    defer { parameters.release() }
    if !binds.isEmpty {
      guard mysql_stmt_bind_param(raw, parameters.binds) == 0 else { throw statementFailure(statement) }
    }
    guard mysql_stmt_execute(raw) == 0 else { throw statementFailure(statement) }
    if mysql_stmt_field_count(raw) > 0 {
      guard mysql_stmt_store_result(raw) == 0 else { throw statementFailure(statement) }
    }
  }

  /// Reads every row of an executed statement whose result was stored (so each column's longest value is known
  /// and buffers are sized once, without truncation).
  private func fetchRows(_ statement: Statement) throws(SQLError) -> [SQLRow] {
    let raw = statement
    let columnCount = Int(mysql_stmt_field_count(raw))
    guard columnCount > 0, let metadata = mysql_stmt_result_metadata(raw) else { return [] }
    defer { mysql_free_result(metadata) }
    guard let fields = mysql_fetch_fields(metadata) else { return [] }
    let columns = (0..<columnCount).map { ResultColumn(fields[$0]) }
    let buffers = ResultBuffers(columns)
    defer { buffers.release() }
    guard mysql_stmt_bind_result(raw, buffers.binds) == 0 else { throw statementFailure(statement) }
    var rows: [SQLRow] = []
    rows.reserveCapacity(Int(mysql_stmt_num_rows(raw)))
    while true {
      let status = mysql_stmt_fetch(raw)
      if status == MYSQL_NO_DATA { break }
      guard status == 0 || status == MYSQL_DATA_TRUNCATED else { throw statementFailure(statement) }
      rows.append(
        SQLRow(columns.indices.map { (columns[$0].name, buffers.value(at: $0, column: columns[$0], statement: raw)) }))
    }
    return rows
  }

  // MARK: errors

  private func failure() -> SQLError {
    let error = Self.error(code: mysql_errno(handle), message: String(cString: mysql_error(handle)))
    if case .connection = error { isBroken = true }
    return error
  }

  private func statementFailure(_ statement: Statement) -> SQLError {
    let raw = statement
    let error = Self.error(code: mysql_stmt_errno(raw), message: String(cString: mysql_stmt_error(raw)))
    if case .connection = error {
      isBroken = true
    }
    return error
  }

  static func error(code: UInt32, message: String) -> SQLError {
    switch Int32(code) {
    case ER_DUP_ENTRY, ER_DUP_KEY, ER_DUP_UNIQUE: .uniqueViolation(message)
    case ER_ROW_IS_REFERENCED, ER_ROW_IS_REFERENCED_2, ER_NO_REFERENCED_ROW, ER_NO_REFERENCED_ROW_2:
      .foreignKeyViolation(message)
    case ER_BAD_NULL_ERROR, ER_NO_DEFAULT_FOR_FIELD, ER_DATA_TOO_LONG, ER_CONSTRAINT_FAILED:
      .constraintViolation(message)
    case ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT: .busy(message)
    case ER_DISK_FULL, ER_RECORD_FILE_FULL: .storageFull("\(code): \(message)")
    case CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_UNKNOWN_HOST,
      CR_SERVER_LOST_EXTENDED, CR_SSL_CONNECTION_ERROR, CR_COMMANDS_OUT_OF_SYNC, ER_CONNECTION_KILLED,
      ER_SERVER_SHUTDOWN, ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_BAD_DB_ERROR:
      .connection("\(code): \(message)")
    default: .engine(code: Int(code), message: message)
    }
  }
}

/// Why a connection could not be opened, with the server's or client library's error code.
struct MariaDBConnectFailure: Error {
  let code: UInt32
  let message: String

  enum Kind { case unreachable, accessDenied, unknownDatabase, tls, other }

  var kind: Kind {
    switch Int32(code) {
    case CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST, CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
      ER_SERVER_SHUTDOWN:
      .unreachable
    case ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR: .accessDenied
    case ER_BAD_DB_ERROR: .unknownDatabase
    case CR_SSL_CONNECTION_ERROR: .tls
    default: .other
    }
  }

  var sqlError: SQLError { .connection("\(message) (\(code))") }
}

enum MariaDBLibrary {
  /// `mysql_library_init` is not thread-safe; `mysql_init` calls it implicitly, so it runs once up front.
  static func initialise() { _ = initialised }
  private static let initialised: Bool = { mysql_server_init(0, nil, nil) == 0 }()
}

/// What a result column is read as.
private struct ResultColumn {
  enum Kind { case integer, unsignedInteger, double, text, blob }
  let name: String
  let kind: Kind
  let maxLength: Int

  init(_ field: MYSQL_FIELD) {
    name = String(cString: field.name)
    maxLength = Int(field.max_length)
    let unsigned = field.flags & UInt32(UNSIGNED_FLAG) != 0
    switch field.type {
    case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
      kind = unsigned ? .unsignedInteger : .integer
    case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE: kind = .double
    case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_STRING,
      MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_VARCHAR:
      // Character set 63 is `binary`: BLOB/VARBINARY rather than text.
      kind = field.charsetnr == 63 ? .blob : .text
    default: kind = .text
    }
  }
}

/// Output buffers for one fetch: fixed 8 bytes for numbers, the column's longest value for text.
private struct ResultBuffers {
  let binds: UnsafeMutablePointer<MYSQL_BIND>
  let data: [UnsafeMutableRawPointer]
  let capacities: [Int]
  let lengths: UnsafeMutablePointer<UInt>
  let nulls: UnsafeMutablePointer<my_bool>
  let errors: UnsafeMutablePointer<my_bool>

  init(_ columns: [ResultColumn]) {
    let count = columns.count
    binds = .allocate(capacity: count)
    binds.initialize(repeating: MYSQL_BIND(), count: count)
    lengths = .allocate(capacity: count)
    lengths.initialize(repeating: 0, count: count)
    nulls = .allocate(capacity: count)
    nulls.initialize(repeating: 0, count: count)
    errors = .allocate(capacity: count)
    errors.initialize(repeating: 0, count: count)
    var data: [UnsafeMutableRawPointer] = []
    var capacities: [Int] = []
    for (index, column) in columns.enumerated() {
      let capacity: Int
      switch column.kind {
      case .integer, .unsignedInteger:
        capacity = 8
        binds[index].buffer_type = MYSQL_TYPE_LONGLONG
        binds[index].is_unsigned = column.kind == .unsignedInteger ? 1 : 0
      case .double:
        capacity = 8
        binds[index].buffer_type = MYSQL_TYPE_DOUBLE
      case .text:
        // Dates and decimals converted to text may report no useful maximum; a longer value is re-read below.
        capacity = max(column.maxLength, 63) + 1
        binds[index].buffer_type = MYSQL_TYPE_STRING
      case .blob:
        capacity = max(column.maxLength, 1)
        binds[index].buffer_type = MYSQL_TYPE_BLOB
      }
      let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
      data.append(buffer)
      capacities.append(capacity)
      binds[index].buffer = buffer
      binds[index].buffer_length = UInt(capacity)
      binds[index].length = lengths + index
      binds[index].is_null = nulls + index
      binds[index].error = errors + index
    }
    self.data = data
    self.capacities = capacities
  }

  func value(at index: Int, column: ResultColumn, statement: MariaDBConnection.Statement) -> SQLValue {
    if nulls[index] != 0 { return .null }
    if errors[index] != 0, column.kind == .text || column.kind == .blob, Int(lengths[index]) > capacities[index] {
      return refetch(at: index, column: column, statement: statement)
    }
    switch column.kind {
    case .integer: return .int64(data[index].load(as: Int64.self))
    case .unsignedInteger: return .int64(Int64(truncatingIfNeeded: data[index].load(as: UInt64.self)))
    case .double: return .double(data[index].load(as: Double.self))
    case .text:
      let length = min(Int(lengths[index]), capacities[index])
      let bytes = UnsafeRawBufferPointer(start: data[index], count: length)
      return .text(String(decoding: bytes, as: UTF8.self))
    case .blob:
      let length = min(Int(lengths[index]), capacities[index])
      return .blob(Data(bytes: data[index], count: length))
    }
  }

  /// A value longer than its buffer, read again whole.
  private func refetch(at index: Int, column: ResultColumn, statement: MariaDBConnection.Statement) -> SQLValue {
    let length = Int(lengths[index])
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: length + 1, alignment: 8)
    defer { buffer.deallocate() }
    var fetchedLength: UInt = 0
    var bind = MYSQL_BIND()
    bind.buffer_type = binds[index].buffer_type
    bind.buffer = buffer
    bind.buffer_length = UInt(length + 1)
    return withUnsafeMutablePointer(to: &fetchedLength) { lengthPointer in
      bind.length = lengthPointer
      guard mysql_stmt_fetch_column(statement, &bind, UInt32(index), 0) == 0 else { return .null }
      let count = min(Int(lengthPointer.pointee), length)
      return column.kind == .blob
        ? .blob(Data(bytes: buffer, count: count))
        : .text(String(decoding: UnsafeRawBufferPointer(start: buffer, count: count), as: UTF8.self))
    }
  }

  func release() {
    for buffer in data { buffer.deallocate() }
    binds.deallocate()
    lengths.deallocate()
    nulls.deallocate()
    errors.deallocate()
  }
}

/// Input buffers for one execute; alive until the statement ran.
private struct ParameterBuffers {
  let binds: UnsafeMutablePointer<MYSQL_BIND>
  let data: [UnsafeMutableRawPointer?]
  let lengths: UnsafeMutablePointer<UInt>
  let count: Int

  init(_ values: [SQLValue]) {
    count = values.count
    binds = .allocate(capacity: max(count, 1))
    binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
    lengths = .allocate(capacity: max(count, 1))
    lengths.initialize(repeating: 0, count: max(count, 1))
    var data: [UnsafeMutableRawPointer?] = []
    for (index, value) in values.enumerated() {
      var buffer: UnsafeMutableRawPointer?
      switch value {
      case .null:
        binds[index].buffer_type = MYSQL_TYPE_NULL
      case .int64(let v):
        buffer = Self.copy(v)
        binds[index].buffer_type = MYSQL_TYPE_LONGLONG
      case .bool(let b):
        buffer = Self.copy(Int64(b ? 1 : 0))
        binds[index].buffer_type = MYSQL_TYPE_LONGLONG
      case .double(let d):
        buffer = Self.copy(d)
        binds[index].buffer_type = MYSQL_TYPE_DOUBLE
      case .text(let s):
        let bytes = Array(s.utf8)
        buffer = Self.copy(bytes)
        lengths[index] = UInt(bytes.count)
        binds[index].buffer_type = MYSQL_TYPE_STRING
        binds[index].buffer_length = UInt(bytes.count)
        binds[index].length = lengths + index
      case .blob(let d):
        let bytes = [UInt8](d)
        buffer = Self.copy(bytes)
        lengths[index] = UInt(bytes.count)
        binds[index].buffer_type = MYSQL_TYPE_BLOB
        binds[index].buffer_length = UInt(bytes.count)
        binds[index].length = lengths + index
      }
      binds[index].buffer = buffer
      data.append(buffer)
    }
    self.data = data
  }

  private static func copy<T>(_ value: T) -> UnsafeMutableRawPointer {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: 8)
    buffer.storeBytes(of: value, as: T.self)
    return buffer
  }

  private static func copy(_ bytes: [UInt8]) -> UnsafeMutableRawPointer {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
    bytes.withUnsafeBytes {
      buffer.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(buffer), byteCount: bytes.count)
    }
    return buffer
  }

  func release() {
    for buffer in data { buffer?.deallocate() }
    binds.deallocate()
    lengths.deallocate()
  }
}
