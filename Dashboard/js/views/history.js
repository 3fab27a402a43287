// The lamp history drawer (#/lampu/<id>): what happened to the lamp, newest first, who did it (a person, an API
// key, a schedule, or "di perangkat" for a change the device reported on its own), and today's on/off bar.
import { h, mount } from "../dom.js";
import { t, formatTime, formatFull, formatDateTime } from "../i18n.js";
import { get } from "../api.js";
import { state, lampState, permissionOf, emit } from "../store.js";
import { icons } from "../icons.js";
import { errorText, toast } from "../ui.js";

const PAGE = 100;

function actorText(item) {
  const a = item.actor || {};
  if (a.type === "device" || item.kind === "device") return t("history.byDevice");
  if (a.type === "schedule") return a.name ? t("history.bySchedule", { name: a.name }) : t("history.byScheduleAnon");
  if (a.type === "api_key") return t("history.byKey", { name: a.name ?? "" });
  if (a.type === "user") {
    if (a.id != null && a.id === state.viewer?.id) return t("history.byYou");
    return a.name ? t("history.byUser", { name: a.name }) : t("history.bySomeone");
  }
  return t("history.bySomeone");
}

/** The name part of an actor, kept apart so it is not translated. */
function actorLine(item) {
  const a = item.actor || {};
  const text = actorText(item);
  if (a.name && (a.type === "user" || a.type === "api_key" || a.type === "schedule") && a.id !== state.viewer?.id) {
    const [before, after] = text.split(a.name);
    return [before, h("span", { translate: "no" }, a.name), after ?? ""];
  }
  return [text];
}

export function itemRow(item, extra) {
  const action = item.power === "ON" ? t("history.turnedOn") : t("history.turnedOff");
  const status = item.kind === "command" && item.status ? h("span", { class: ["badge", `cmd-${item.status.toLowerCase()}`] },
    item.status === "ACKED" && item.ackLatencyMs != null ? t("cmdstatus.ACKED_MS", { n: item.ackLatencyMs }) : t(`cmdstatus.${item.status}`)) : null;
  return h("li", { class: ["history-item", `kind-${item.kind}`], dataset: { kind: item.kind, power: item.power } },
    h("span", { class: ["dot", item.power === "ON" ? "dot-on" : "dot-off"], "aria-hidden": "true" }),
    h("div", {},
      h("p", { class: "history-main" }, extra, h("strong", {}, action), " ", actorLine(item)),
      h("p", { class: "muted small" }, h("time", { datetime: new Date(item.at).toISOString(), title: formatFull(item.at) }, formatDateTime(item.at)), status ? " " : null, status)));
}

/** Today's on/off bar from the loaded items (older state before the first known change is "unknown"). */
function todayBar(items) {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  const from = start.getTime();
  const now = Date.now();
  const changes = items
    .filter((i) => i.kind === "device" || i.status === "ACKED")
    .map((i) => ({ at: i.at, power: i.power }))
    .sort((a, b) => a.at - b.at);
  const before = changes.filter((c) => c.at < from).pop();
  let current = before ? before.power : "UNKNOWN";
  let cursor = from;
  const segments = [];
  for (const c of changes.filter((x) => x.at >= from && x.at <= now)) {
    if (c.at > cursor) segments.push({ from: cursor, to: c.at, power: current });
    current = c.power;
    cursor = c.at;
  }
  segments.push({ from: cursor, to: now, power: current });
  const dayMs = 86_400_000;
  let onMs = 0;
  const bar = h("div", { class: "today-bar" });
  for (const seg of segments) {
    if (seg.to <= seg.from) continue;
    if (seg.power === "ON") onMs += seg.to - seg.from;
    const part = h("span", { class: ["seg", `seg-${seg.power.toLowerCase()}`], title: `${formatTime(seg.from)}–${formatTime(seg.to)}` });
    part.style.width = `${((seg.to - seg.from) / dayMs) * 100}%`;
    bar.append(part);
  }
  const hours = Math.floor(onMs / 3_600_000);
  const minutes = Math.round((onMs % 3_600_000) / 60_000);
  const summary = t("history.todayOn", { h: hours, m: minutes });
  return h("figure", { class: "today" },
    h("figcaption", {}, h("strong", {}, t("history.today")), " ", summary),
    h("div", { role: "img", "aria-label": `${t("history.today")}: ${summary}` }, bar),
    h("div", { class: "today-axis", "aria-hidden": "true" }, ["00", "06", "12", "18", "24"].map((x) => h("span", {}, x))),
    h("p", { class: "legend small muted" },
      h("span", { class: "seg-key seg-on" }), t("history.legendOn"), " ",
      h("span", { class: "seg-key seg-off" }), t("history.legendOff"), " ",
      h("span", { class: "seg-key seg-unknown" }), t("history.legendUnknown")));
}

export function openHistory(id, onClosed) {
  const device = state.devices.get(id);
  let byRoute = false;
  const titleId = "history-title";
  const title = h("h2", { id: titleId, translate: "no" }, device?.name ?? id);
  const list = h("ol", { class: "history-list" });
  const today = h("div", {});
  const more = h("button", { type: "button", class: "btn", hidden: true }, t("history.more"));
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const close = h("button", { type: "button", class: "icon-btn", "aria-label": t("common.close"), onclick: () => dialog.close() }, icons.close());
  // Whoever manages the lamp (admins, members with Kelola) edits its name, room and relay from here too.
  const edit = permissionOf(id) === "manage" ? h("button", {
    type: "button", class: "btn btn-small", id: "drawer-edit",
    onclick: async () => {
      const module = await import("./admin-lamps.js");
      const saved = await module.lampDialog(state.devices.get(id), await module.reportedRelays());
      if (!saved) return;
      toast(t("lampform.saved", { name: saved.name ?? "" }), { kind: "success" });
      emit("devices-changed");
      if (saved.name) title.textContent = saved.name;
    },
  }, icons.edit(), t("common.edit")) : null;
  const dialog = h("dialog", { class: "drawer", "aria-labelledby": titleId, dataset: { lamp: id } },
    h("div", { class: "drawer-head" },
      h("div", {},
        title,
        h("p", { class: "muted" }, t("history.title"), " · ", t(`state.${lampState(id) === "offline" ? "offline" : lampState(id)}`))),
      h("div", { class: "drawer-actions" }, edit, close)),
    today, status, list, more);
  const items = [];
  let cursor = null;

  async function load() {
    more.disabled = true;
    try {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (cursor) q.set("cursor", cursor);
      const page = await get(`/api/v1/devices/${encodeURIComponent(id)}/history?${q}`);
      const fresh = page?.items || [];
      items.push(...fresh);
      for (const item of fresh) list.append(itemRow(item));
      cursor = page?.nextCursor || null;
      more.hidden = !cursor;
      mount(status, items.length ? "" : t("history.empty"));
      status.hidden = items.length > 0;
      mount(today, todayBar(items));
    } catch (error) {
      mount(status, errorText(error));
      status.hidden = false;
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", load);
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (!byRoute) onClosed?.();
  });
  dialog.addEventListener("click", (event) => {
    // A click on the backdrop (outside the panel) closes.
    if (event.target === dialog) dialog.close();
  });
  document.body.append(dialog);
  dialog.showModal();
  load();
  return {
    id,
    close() {
      byRoute = true;
      if (dialog.open) dialog.close();
      else dialog.remove();
    },
  };
}
