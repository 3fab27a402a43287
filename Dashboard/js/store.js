// The app's state and a small event bus. Lamps are kept per id; views subscribe to fine-grained events
// ("lamp" with an id, "lamps" for the whole list, "stream", "prefs", "viewer") so one SSE frame touches one tile.

const listeners = new Map();

export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type)?.delete(fn);
}

export function emit(type, payload) {
  for (const fn of listeners.get(type) || []) {
    try {
      fn(payload);
    } catch (error) {
      // One broken view must not stop the others; surface it for the tests' console check.
      console.error(error);
    }
  }
}

export const state = {
  /** {id, name, email, role} of the signed-in person, or null. */
  viewer: null,
  /** id → {id, name, location, commandChannel, devicePermission, schedulePermission} */
  devices: new Map(),
  /** id → {power: "ON"|"OFF"|"UNKNOWN", online: bool|null, updatedAt: ms|null, rssi, source, offlineSince} */
  status: new Map(),
  /** id → {requestId, action, since} */
  pending: new Map(),
  /** "connecting" | "live" | "down" */
  stream: "connecting",
  /** {language, theme, favourites: []}; `serverPrefs` false when the server does not store preferences. */
  prefs: { favourites: [] },
  serverPrefs: true,
  /** From GET /api/v1/setup: {demo, demoDevices}. */
  setup: null,
  /** From GET /api/health: {name, version}. */
  health: null,
};

export function isAdmin() {
  return state.viewer?.role === "admin";
}

const RANK = { monitoring: 1, control: 2, manage: 3 };

/** The device permission in effect ("monitoring" | "control" | "manage"). Admins manage everything. */
export function permissionOf(id) {
  if (isAdmin()) return "manage";
  return state.devices.get(id)?.devicePermission || "monitoring";
}

export function canControl(id) {
  return (RANK[permissionOf(id)] || 0) >= RANK.control;
}

/** Whether the viewer may edit at least one lamp (admins: all of them). */
export function canManageAny() {
  if (isAdmin()) return true;
  return [...state.devices.values()].some((d) => d.devicePermission === "manage");
}

export function schedulePermissionOf(id) {
  if (isAdmin()) return "manage";
  return state.devices.get(id)?.schedulePermission || "none";
}

/** The one state a tile shows (DASHBOARD.md §3). */
export function lampState(id) {
  if (state.stream === "down") return "stale";
  const status = state.status.get(id);
  if (status?.online === false) return "offline";
  if (state.pending.has(id)) return "pending";
  if (status?.power === "ON") return "on";
  if (status?.power === "OFF") return "off";
  return "unknown";
}

export function isOn(id) {
  return state.status.get(id)?.power === "ON";
}

export function roomOf(device) {
  const room = device.location?.trim();
  return room ? room : null;
}

function parseTime(value) {
  if (value == null) return null;
  if (typeof value === "number") return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Replaces the device list (bootstrap / devices), keeping known states. */
export function setDevices(list) {
  const next = new Map();
  for (const d of list) next.set(d.id, d);
  state.devices = next;
  for (const id of [...state.status.keys()]) if (!next.has(id)) state.status.delete(id);
  for (const id of [...state.pending.keys()]) if (!next.has(id)) state.pending.delete(id);
  emit("lamps");
}

/** Applies one status object (GET /status item or SSE status payload). Returns true when something changed. */
export function applyStatus(id, s, ts, quiet = false) {
  if (!state.devices.has(id)) return false;
  const prev = state.status.get(id) || { power: "UNKNOWN", online: null, updatedAt: null, offlineSince: null };
  const next = { ...prev };
  if (typeof s.power === "string") next.power = s.power.toUpperCase();
  if ("online" in s && s.online !== undefined) {
    if (s.online === false && prev.online !== false) {
      next.offlineSince = parseTime(s.lastSeenAt) ?? parseTime(s.onlineChangedAt) ?? null;
    }
    next.online = s.online;
  }
  if (s.online === false && (s.lastSeenAt || s.onlineChangedAt) && next.offlineSince == null) {
    next.offlineSince = parseTime(s.lastSeenAt) ?? parseTime(s.onlineChangedAt);
  }
  const updated = parseTime(s.updatedAt);
  if (updated != null) next.updatedAt = updated;
  if ("rssi" in s) next.rssi = s.rssi;
  if (s.source) next.source = s.source;
  state.status.set(id, next);
  const powerChanged = prev.power !== next.power;
  const pending = state.pending.get(id);
  if (pending && next.power === pending.action && (s.source === "device" || s.reportSource)) {
    settle(id, "confirmed");
  }
  emit("lamp", { id, prev, next, quiet, powerChanged, onlineChanged: prev.online !== next.online });
  return true;
}

/** LWT: online/offline, with the time it happened. */
export function applyLwt(id, online, ts) {
  if (!state.devices.has(id) || online == null) return;
  const prev = state.status.get(id) || { power: "UNKNOWN", online: null, updatedAt: null };
  if (prev.online === online) return;
  const next = { ...prev, online, offlineSince: online ? null : ts ?? Date.now() };
  state.status.set(id, next);
  if (!online && state.pending.has(id)) settle(id, "offline");
  emit("lamp", { id, prev, next, onlineChanged: true });
}

export function setPending(id, pending) {
  state.pending.set(id, pending);
  emit("lamp", { id });
}

/** Ends a pending command: "confirmed", "timeout", "error", "offline". Emits "settled" for messages. */
export function settle(id, outcome, error) {
  const pending = state.pending.get(id);
  if (!pending) return;
  state.pending.delete(id);
  if (pending.timer) clearTimeout(pending.timer);
  emit("settled", { id, outcome, pending, error });
  emit("lamp", { id });
}

export function setStream(value) {
  if (state.stream === value) return;
  const before = state.stream;
  state.stream = value;
  emit("stream", { before, after: value });
}

export function favourites() {
  return state.prefs.favourites || [];
}
