// #/kelola/penemuan: the discovery inbox. Tasmota and native lamps seen on the broker appear by themselves (the
// stream's `discovery` frame, and a slow poll as a safety net); one card per physical device with its name, MQTT
// id, online state, last seen and relays; one click per relay adds it as a lamp (named after the relay's
// FriendlyName when the device sent one). Relays already registered are marked with the lamp's name.
// "Periksa lagi" asks every device for STATUS 0 and waits a bounded time.
import { h, mount, uid } from "../dom.js";
import { t, formatRelative, formatFull, formatNumber } from "../i18n.js";
import { get, post } from "../api.js";
import { state, on, emit } from "../store.js";
import { toast, errorText, announce } from "../ui.js";
import { icons } from "../icons.js";
import { knownRooms } from "./admin-common.js";

const POLL_MS = 5000;
const PROBE_WAIT_MS = 2000;

function seenAt(entry) {
  if (entry.lastSeenAtMs != null) return entry.lastSeenAtMs;
  const ms = Date.parse(entry.lastSeenAt);
  return Number.isNaN(ms) ? null : ms;
}

function signature(list) {
  return JSON.stringify(list.map(({ lastSeenAt, lastSeenAtMs, sources, ...rest }) => rest));
}

/** Entries (one per relay) grouped per physical device, in the server's order. */
function group(entries) {
  const byDevice = new Map();
  for (const e of entries) {
    const key = e.mqttDeviceId;
    if (!byDevice.has(key)) byDevice.set(key, []);
    byDevice.get(key).push(e);
  }
  return [...byDevice.entries()].map(([mqttId, relays]) => ({ mqttId, relays }));
}

export function render(container) {
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const probeNote = h("p", { class: "small", role: "status", id: "discovery-probe-note" });
  const probe = h("button", { type: "button", class: "btn", id: "discovery-probe" }, t("discovery.probe"));
  const list = h("div", { class: "discovery-list" });
  const roomsId = uid("rooms");
  const rooms = h("datalist", { id: roomsId });
  mount(container, h("section", { "aria-labelledby": "discovery-title" },
    h("div", { class: "page-actions section-head" }, h("h2", { id: "discovery-title" }, t("discovery.title")), probe),
    h("p", { class: "muted small" }, t("discovery.note")),
    probeNote, status, list, rooms));
  let alive = true;
  let entries = [];
  /** Room typed per device, kept across refreshes. */
  const roomFor = new Map();
  const busy = new Set();

  function deviceCard({ mqttId, relays }) {
    const first = relays[0];
    const title = first.deviceName || (relays.length === 1 ? first.suggestedName : null) || mqttId;
    const seen = Math.max(...relays.map(seenAt).filter((x) => x != null), 0) || null;
    const online = first.online === true ? "online" : first.online === false ? "offline" : "unknown";
    const roomInput = h("input", {
      type: "text", list: roomsId, autocomplete: "off", maxlength: 255, value: roomFor.get(mqttId) ?? "",
      oninput: () => roomFor.set(mqttId, roomInput.value),
    });
    roomInput.id = uid("droom");
    const headingId = uid("dev");
    const open = relays.filter((r) => !(r.registered ?? r.alreadyRegistered));
    return h("article", { class: "card discovery-card", "aria-labelledby": headingId, dataset: { mqtt: mqttId } },
      h("header", { class: "discovery-head" },
        h("h3", { id: headingId, translate: "no" }, title),
        h("span", { class: ["badge", `online-${online}`] }, t(`discovery.${online}`))),
      h("dl", { class: "facts" },
        h("dt", {}, t("discovery.mqttId")), h("dd", {}, h("code", { translate: "no" }, mqttId)),
        h("dt", {}, t("discovery.relays")), h("dd", {}, formatNumber(relays.length)),
        h("dt", {}, t("discovery.lastSeen")), h("dd", {}, seen ? h("time", { datetime: new Date(seen).toISOString(), title: formatFull(seen) }, formatRelative(seen)) : t("common.none")),
        first.profile ? [h("dt", {}, t("discovery.profile")), h("dd", {}, t(`discovery.profile.${first.profile}`))] : null),
      open.length ? h("div", { class: "field" }, h("label", { for: roomInput.id }, t("discovery.room")), roomInput) : null,
      h("ul", { class: "relay-list" }, relays.map((r) => relayRow(r, () => roomInput.value.trim()))));
  }

  function relayRow(entry, room) {
    const registered = entry.registered ?? entry.alreadyRegistered;
    const lampId = entry.registeredDeviceId || (entry.alreadyRegistered ? entry.deviceId : null);
    const lamp = lampId ? state.devices.get(lampId) : null;
    const power = String(entry.power || "UNKNOWN").toUpperCase();
    const label = t("discovery.addNamed", { name: entry.suggestedName, channel: entry.commandChannel });
    const action = registered
      ? h("span", { class: "badge badge-registered" }, icons.check(), lamp ? [t("discovery.registeredAs"), " ", h("span", { translate: "no" }, lamp.name)] : t("discovery.registered"))
      : h("button", {
        type: "button", class: "btn btn-small btn-primary", "aria-label": label, disabled: busy.has(entry.deviceId),
        onclick: (event) => add(entry, room(), event.currentTarget),
      }, icons.plus(), t("discovery.add"));
    return h("li", { class: "relay-row", dataset: { channel: entry.commandChannel, registered: String(Boolean(registered)) } },
      h("div", {},
        h("p", {}, h("strong", { translate: "no" }, entry.suggestedName), " ", h("code", { translate: "no" }, entry.commandChannel)),
        h("p", { class: "muted small" }, t("discovery.power"), " ", t(power === "ON" ? "state.on" : power === "OFF" ? "state.off" : "state.unknown"))),
      action);
  }

  function paint() {
    mount(rooms, knownRooms().map((r) => h("option", { value: r })));
    const groups = group(entries);
    // Devices with something left to add first, then the ones fully registered.
    groups.sort((a, b) => Number(a.relays.every((r) => r.registered ?? r.alreadyRegistered)) - Number(b.relays.every((r) => r.registered ?? r.alreadyRegistered)));
    mount(list, groups.map(deviceCard));
    status.hidden = groups.length > 0;
    mount(status, t("discovery.empty"));
  }

  let loading = null;
  async function load() {
    if (loading) return loading;
    loading = (async () => {
      try {
        const data = await get("/api/v1/devices/discovery");
        if (!alive) return;
        const next = data?.devices || [];
        // Repaint only on a real change (not every "last seen"): a repaint would take the focus from the room field.
        const changed = signature(next) !== signature(entries) || !list.children.length;
        entries = next;
        if (changed) paint();
      } catch (error) {
        if (!alive) return;
        mount(status, errorText(error));
        status.hidden = false;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  async function add(entry, room, button) {
    busy.add(entry.deviceId);
    button.disabled = true;
    const body = { deviceId: entry.deviceId, mqttDeviceId: entry.mqttDeviceId, name: entry.suggestedName, commandChannel: entry.commandChannel };
    if (room) body.location = room;
    try {
      await post("/api/v1/devices", body, { idempotent: true });
      const text = t("discovery.added", { name: entry.suggestedName });
      toast(text, { kind: "success" });
      announce(text);
      emit("devices-changed");
      entries = entries.map((e) => (e.deviceId === entry.deviceId ? { ...e, registered: true, alreadyRegistered: true, registeredDeviceId: entry.deviceId } : e));
      paint();
    } catch (error) {
      button.disabled = false;
      toast(errorText(error), { kind: "error" });
    } finally {
      busy.delete(entry.deviceId);
    }
  }

  probe.addEventListener("click", async () => {
    probe.disabled = true;
    mount(probeNote, t("discovery.probing"));
    try {
      let data;
      try {
        data = await post("/api/v1/devices/discovery/probe", { waitMs: PROBE_WAIT_MS }, { timeoutMs: 15000 });
      } catch (error) {
        if (error.status !== 404 && error.status !== 405) throw error;
        data = await get(`/api/v1/devices/discovery?waitMs=${PROBE_WAIT_MS}`, { timeoutMs: 15000 });
      }
      if (!alive) return;
      entries = data?.devices || [];
      paint();
      mount(probeNote, data?.probe ? t("discovery.probed", { n: formatNumber(data.probe.answered), m: formatNumber(data.probe.sentTo) }) : t("discovery.probedPlain"));
    } catch (error) {
      mount(probeNote, errorText(error));
    } finally {
      probe.disabled = false;
    }
  });

  const offs = [on("discovery", () => load()), on("lamps", () => load().then(() => alive && paint()))];
  const timer = setInterval(() => {
    if (document.visibilityState === "visible") load();
  }, POLL_MS);
  const clock = setInterval(() => {
    for (const el of list.querySelectorAll("time")) el.textContent = formatRelative(Date.parse(el.getAttribute("datetime")));
  }, 30000);
  load();
  return () => {
    alive = false;
    clearInterval(timer);
    clearInterval(clock);
    for (const off of offs) off();
  };
}
