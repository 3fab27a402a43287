// #/kelola/lampu: every lamp with its room, MQTT id, relay channel and the Tasmota command topic; add, edit and
// delete in a <dialog>. Rooms are picked from the ones in use or typed new; the channel is chosen from the relays the
// device reported (discovery), POWER when it reported none. Members who manage a lamp edit its name, room and
// channel; adding and deleting are for administrators. A delete names what goes with it (GET …/usage).
import { h, mount, uid } from "../dom.js";
import { t, formatNumber, formatRelative, formatFull } from "../i18n.js";
import { get, post, patch, del } from "../api.js";
import { on, isAdmin, emit, lampState } from "../store.js";
import { toast, confirmDialog, errorText } from "../ui.js";
import { icons } from "../icons.js";
import { field, markFields, serverFieldMessages, knownRooms, formDialog, compare } from "./admin-common.js";

const FALLBACK_CHANNELS = ["POWER", ...Array.from({ length: 8 }, (_, i) => `POWER${i + 1}`)];
const ID_RE = /^[A-Za-z0-9._:-]{1,191}$/;

function topicOf(device) {
  return device.commandTopic || `cmnd/${device.mqttDeviceId || device.id}/${device.commandChannel || "POWER"}`;
}

/** Relays each MQTT id reported (admins only: discovery is theirs), as {mqttId → [POWER1, …]}. */
export async function reportedRelays() {
  if (!isAdmin()) return new Map();
  try {
    const data = await get("/api/v1/devices/discovery");
    const map = new Map();
    for (const e of data?.devices || []) {
      const list = e.relays || e.availableCommandChannels || [];
      map.set(String(e.mqttDeviceId).toLowerCase(), list);
    }
    return map;
  } catch {
    return new Map();
  }
}

/** The add/edit dialog; resolves the saved device or null. */
export async function lampDialog(existing, relays) {
  const admin = isAdmin();
  const listId = uid("rooms");
  const id = h("input", { type: "text", autocomplete: "off", spellcheck: false, maxlength: 191, required: true, value: existing?.id ?? "", readOnly: Boolean(existing), translate: "no" });
  const name = h("input", { type: "text", autocomplete: "off", maxlength: 255, required: true, value: existing?.name ?? "" });
  const room = h("input", { type: "text", autocomplete: "off", maxlength: 255, list: listId, value: existing?.location ?? "" });
  const rooms = h("datalist", { id: listId }, knownRooms().map((r) => h("option", { value: r })));
  const mqtt = h("input", { type: "text", autocomplete: "off", spellcheck: false, maxlength: 191, value: existing?.mqttDeviceId ?? "", placeholder: existing?.id ?? "", translate: "no" });
  const channel = h("select", {});
  const channelHelp = h("span", {});
  const topic = h("code", { class: "topic", translate: "no" });
  const fields = {
    deviceId: field(t("lampform.id"), id, existing ? t("lampform.idFixed") : t("lampform.idHelp")),
    name: field(t("lampform.name"), name),
    location: field(t("lampform.room"), room, t("lampform.roomHelp"), rooms),
    mqttDeviceId: field(t("lampform.mqtt"), mqtt, t("lampform.mqttHelp")),
    commandChannel: field(t("lampform.channel"), channel, channelHelp),
  };

  function fillChannels() {
    const key = (mqtt.value.trim() || id.value.trim()).toLowerCase();
    const reported = relays.get(key) || [];
    const current = channel.value || existing?.commandChannel || "POWER";
    const list = reported.length ? [...reported] : FALLBACK_CHANNELS.slice();
    if (!list.includes(current)) list.unshift(current);
    mount(channel, list.map((c) => h("option", { value: c, translate: "no", selected: c === current }, c)));
    mount(channelHelp, reported.length ? t("lampform.channelReported", { n: reported.length }) : t("lampform.channelNone"));
    paintTopic();
  }
  function paintTopic() {
    const mq = mqtt.value.trim() || id.value.trim() || "…";
    const signed = existing?.hasSecret || existing?.profile === "native";
    topic.textContent = signed && existing?.commandTopic ? existing.commandTopic : `cmnd/${mq}/${channel.value || "POWER"}`;
  }
  id.addEventListener("input", fillChannels);
  mqtt.addEventListener("input", fillChannels);
  channel.addEventListener("change", paintTopic);
  fillChannels();

  return formDialog({
    title: existing ? t("lampform.editTitle") : t("lampform.addTitle"),
    submitLabel: existing ? t("common.save") : t("lampform.add"),
    build: () => [
      fields.deviceId.el, fields.name.el, fields.location.el,
      admin ? fields.mqttDeviceId.el : null,
      fields.commandChannel.el,
      h("p", { class: "help topic-line" }, t("lampform.topic"), " ", topic),
    ],
    submit: async () => {
      const problems = {};
      if (!existing && !ID_RE.test(id.value.trim())) problems.deviceId = t("lampform.idInvalid");
      if (!name.value.trim()) problems.name = t("field.nameMissing");
      if (admin && mqtt.value.trim() && !ID_RE.test(mqtt.value.trim())) problems.mqttDeviceId = t("lampform.idInvalid");
      if (markFields(fields, problems)) return null;
      const body = { name: name.value.trim(), commandChannel: channel.value };
      const where = room.value.trim();
      try {
        let saved;
        if (existing) {
          body.location = where || null;
          if (admin && mqtt.value.trim() && mqtt.value.trim() !== existing.mqttDeviceId) body.mqttDeviceId = mqtt.value.trim();
          saved = await patch(`/api/v1/devices/${encodeURIComponent(existing.id)}`, body, { idempotent: true });
        } else {
          body.deviceId = id.value.trim();
          if (where) body.location = where;
          if (mqtt.value.trim()) body.mqttDeviceId = mqtt.value.trim();
          saved = await post("/api/v1/devices", body, { idempotent: true });
        }
        return saved || true;
      } catch (error) {
        const messages = serverFieldMessages(error, ["deviceId", "name", "location", "mqttDeviceId", "commandChannel"]);
        if (error.status === 409 && !existing) messages.deviceId = t("lampform.idTaken");
        if (markFields(fields, messages)) return null;
        throw error;
      }
    },
  });
}

/** What a delete takes with it, in words (the server's counts; schedules counted here when it has none). */
async function usageText(device) {
  let usage = null;
  try {
    usage = await get(`/api/v1/devices/${encodeURIComponent(device.id)}/usage`);
  } catch {
    try {
      const all = await get("/api/v1/schedules");
      const list = Array.isArray(all) ? all : all?.items || [];
      usage = { schedules: list.filter((s) => s.deviceId === device.id).length };
    } catch {
      usage = null;
    }
  }
  const parts = [];
  if (usage) {
    parts.push(t("lampdel.schedules", { n: formatNumber(usage.schedules ?? 0), runs: formatNumber(usage.scheduleRuns ?? 0) }));
    if (usage.deviceHistory != null) parts.push(t("lampdel.deviceHistory", { n: formatNumber(usage.deviceHistory) }));
    if (usage.assignments != null) parts.push(t("lampdel.assignments", { n: formatNumber(usage.assignments) }));
    if (usage.commandLogs != null) parts.push(t("lampdel.commandsKept", { n: formatNumber(usage.commandLogs) }));
  } else {
    parts.push(t("lampdel.generic"));
  }
  return parts;
}

export async function deleteLamp(device) {
  const parts = await usageText(device);
  const ok = await confirmDialog({
    title: t("lampdel.title", { name: device.name }),
    body: [t("lampdel.intro"), ...parts].join(" "),
    confirm: t("lampdel.confirm"),
  });
  if (!ok) return false;
  try {
    await del(`/api/v1/devices/${encodeURIComponent(device.id)}`, { idempotent: true });
    toast(t("lampdel.done", { name: device.name }), { kind: "success" });
    return true;
  } catch (error) {
    toast(errorText(error), { kind: "error" });
    return false;
  }
}

export function render(container) {
  const admin = isAdmin();
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const list = h("ul", { class: "admin-list lamp-admin-list" });
  const search = h("input", { type: "search", class: "search-input", placeholder: t("lampadmin.search"), "aria-label": t("lampadmin.search"), autocomplete: "off" });
  const addButton = admin ? h("button", { type: "button", class: "btn btn-primary", id: "lamp-add" }, icons.plus(), t("lampadmin.add")) : null;
  mount(container, h("section", { "aria-labelledby": "lampadmin-title" },
    h("div", { class: "page-actions section-head" }, h("h2", { id: "lampadmin-title" }, t("lampadmin.title")), addButton),
    h("p", { class: "muted small" }, t(admin ? "lampadmin.noteAdmin" : "lampadmin.noteMember")),
    h("label", { class: "search admin-search" }, icons.search(), search),
    status, list));
  let devices = [];
  let relays = new Map();
  let alive = true;

  function paint() {
    const q = search.value.trim().toLowerCase();
    const shown = devices
      .filter((d) => admin || d.devicePermission === "manage")
      .filter((d) => !q || [d.name, d.id, d.location, d.mqttDeviceId].some((x) => String(x ?? "").toLowerCase().includes(q)))
      .sort((a, b) => compare(a.location || "\uffff", b.location || "\uffff") || compare(a.name, b.name));
    mount(list, shown.map((d) => h("li", { class: "admin-row", dataset: { id: d.id } },
      h("div", { class: "admin-row-main" },
        h("p", { class: "admin-row-title" }, h("strong", { translate: "no" }, d.name), " ",
          h("span", { class: "badge" }, d.location ? h("span", { translate: "no" }, d.location) : t("lamps.noRoom")),
          h("span", { class: ["badge", `lamp-state-${lampState(d.id)}`] }, t(`state.${lampState(d.id)}`))),
        h("dl", { class: "facts" },
          h("dt", {}, t("lampform.id")), h("dd", {}, h("code", { translate: "no" }, d.id)),
          h("dt", {}, t("lampform.channel")), h("dd", {}, h("code", { translate: "no" }, d.commandChannel || "POWER")),
          h("dt", {}, t("lampform.topicShort")), h("dd", {}, h("code", { translate: "no" }, topicOf(d))),
          d.lastSeenAt != null ? [h("dt", {}, t("discovery.lastSeen")), h("dd", {}, h("time", { datetime: new Date(d.lastSeenAt).toISOString(), title: formatFull(d.lastSeenAt) }, formatRelative(d.lastSeenAt)))] : null)),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn btn-small", "aria-label": t("lampadmin.editNamed", { name: d.name }), onclick: () => edit(d) }, icons.edit(), t("common.edit")),
        admin ? h("button", { type: "button", class: "btn btn-small btn-danger", "aria-label": t("lampadmin.deleteNamed", { name: d.name }), onclick: () => remove(d) }, icons.trash(), t("common.delete")) : null))));
    status.hidden = shown.length > 0;
    mount(status, devices.length ? t("lamps.noMatch") : t("lampadmin.empty"));
  }

  async function load() {
    try {
      const [list, found] = await Promise.all([get("/api/v1/devices"), reportedRelays()]);
      if (!alive) return;
      devices = list || [];
      relays = found;
      paint();
    } catch (error) {
      if (!alive) return;
      mount(status, errorText(error));
      status.hidden = false;
    }
  }

  async function changed() {
    // The stream's `devices` frame refreshes everyone else; here the grid reloads now and its "lamps" event
    // reloads this list.
    emit("devices-changed");
  }

  async function edit(device) {
    const saved = await lampDialog(device, relays);
    if (saved) {
      toast(t("lampform.saved", { name: saved.name ?? device.name }), { kind: "success" });
      await changed();
    }
  }

  async function remove(device) {
    if (await deleteLamp(device)) await changed();
  }

  addButton?.addEventListener("click", async () => {
    const saved = await lampDialog(null, relays);
    if (saved) {
      toast(t("lampform.added", { name: saved.name ?? "" }), { kind: "success" });
      await changed();
    }
  });
  search.addEventListener("input", paint);
  const offs = [on("lamps", () => load()), on("lamp", ({ id }) => {
    const badge = list.querySelector(`.admin-row[data-id="${CSS.escape(id)}"] [class*="lamp-state-"]`);
    if (badge) {
      badge.className = `badge lamp-state-${lampState(id)}`;
      badge.textContent = t(`state.${lampState(id)}`);
    }
  })];
  load();
  return () => {
    alive = false;
    for (const off of offs) off();
  };
}
