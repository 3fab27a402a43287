import Hummingbird
import SmartLampCore

extension BodyFields {
  /// An array of objects read entry by entry with the same accessors: `read` gets a ``BodyFields`` over one entry,
  /// and what it records is reported as `key[index].field` (an entry that is no object as `key[index]`). Nil when
  /// absent, null, not an array, or longer than `maximumCount`; entries whose `read` gave nil are left out (their
  /// errors are recorded, so ``finish()`` refuses the body).
  mutating func objects<Entry>(
    _ key: String, maximumCount: Int, required: Bool = false, _ read: (inout BodyFields) -> Entry?
  ) -> [Entry]? {
    guard let items = array(key, maximumCount: maximumCount, required: required) else { return nil }
    var entries: [Entry] = []
    for (index, item) in items.enumerated() {
      let prefix = "\(key)[\(index)]"
      guard case .object = item, var entry = try? BodyFields(JSONBody(raw: ByteBuffer(), value: item)) else {
        add(prefix, "must be an object")
        continue
      }
      let value = read(&entry)
      for (field, messages) in entry.errors.errors {
        for message in messages { add("\(prefix).\(field)", message) }
      }
      if let value { entries.append(value) }
    }
    return entries
  }
}
