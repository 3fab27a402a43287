// #/kelola/audit: every command and every change made on a device, newest first, from GET /api/v1/history (admins:
// everything; members: their lamps — the server decides). Filters: lamp, person or API key, origin, outcome and a
// date range; cursor paging ("Muat lebih banyak"); acknowledgement latency per command; a CSV link with the same
// filters (the server streams text/csv).
import { h, mount, uid } from "../dom.js";
import { t, formatDateTime, formatFull, formatNumber } from "../i18n.js";
import { get } from "../api.js";
import { state, isAdmin } from "../store.js";
import { errorText } from "../ui.js";
import { compare } from "./admin-common.js";

const PAGE = 50;
const ORIGINS = ["user", "api_key", "schedule", "device"];
const OUTCOMES = ["ACKED", "PUBLISHED", "TIMEOUT", "FAILED"];

/** Local midnight of a yyyy-mm-dd date input as epoch ms (the end of a range is the next midnight). */
function dayStart(value, plusDays = 0) {
  if (!value) return null;
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d + plusDays).getTime();
}

function actorText(item) {
  const a = item.actor || {};
  const type = a.type || item.origin;
  if (type === "device") return [t("audit.byDevice")];
  if (type === "schedule") return [t("audit.bySchedule"), a.name ? [" ", h("span", { translate: "no" }, a.name)] : a.id != null ? [" ", h("span", { translate: "no" }, `#${a.id}`)] : null];
  if (type === "api_key") return [t("audit.byKey"), a.name ? [" ", h("span", { translate: "no" }, a.name)] : a.id != null ? [" ", h("span", { translate: "no" }, `#${a.id}`)] : null];
  if (a.id != null && a.id === state.viewer?.id) return [t("audit.you")];
  return [a.name ? h("span", { translate: "no" }, a.name) : t("history.bySomeone")];
}

export function render(container) {
  const admin = isAdmin();
  const formId = uid("audit");
  const lamps = [...state.devices.values()].sort((a, b) => compare(a.name, b.name));
  const lamp = h("select", { id: `${formId}-lamp`, name: "deviceId" },
    h("option", { value: "" }, t("audit.allLamps")), lamps.map((d) => h("option", { value: d.id, translate: "no" }, d.name)));
  const who = h("select", { id: `${formId}-who`, name: "who" }, h("option", { value: "" }, t("audit.everyone")));
  const origin = h("select", { id: `${formId}-origin`, name: "origin" },
    h("option", { value: "" }, t("audit.allOrigins")), ORIGINS.map((o) => h("option", { value: o }, t(`origin.${o}`))));
  const outcome = h("select", { id: `${formId}-status`, name: "status" },
    h("option", { value: "" }, t("audit.allOutcomes")), OUTCOMES.map((o) => h("option", { value: o }, t(`outcome.${o}`))));
  const from = h("input", { type: "date", id: `${formId}-from`, name: "from" });
  const to = h("input", { type: "date", id: `${formId}-to`, name: "to" });
  const reset = h("button", { type: "reset", class: "btn" }, t("audit.reset"));
  const csv = h("a", { class: "btn", id: "audit-csv", href: "/api/v1/history/export.csv", download: "smartlamp-history.csv" }, t("audit.csv"));
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const body = h("tbody", {});
  const more = h("button", { type: "button", class: "btn", hidden: true, id: "audit-more" }, t("history.more"));
  const count = h("p", { class: "small muted", "aria-live": "polite" });
  const cell = (label, control) => h("div", { class: "field" }, h("label", { for: control.id }, label), control);
  const form = h("form", { class: "card audit-filters", "aria-label": t("audit.filters"), onsubmit: (e) => e.preventDefault() },
    h("div", { class: "filter-grid" },
      cell(t("audit.lamp"), lamp), admin ? cell(t("audit.who"), who) : null, cell(t("audit.origin"), origin),
      cell(t("audit.outcome"), outcome), cell(t("audit.from"), from), cell(t("audit.to"), to)),
    h("div", { class: "actions" }, reset, csv));
  const table = h("table", { class: "audit-table" },
    h("caption", { class: "sr-only" }, t("audit.title")),
    h("thead", {}, h("tr", {},
      ["audit.when", "audit.lamp", "audit.action", "audit.by", "audit.outcome", "audit.latency"].map((k) => h("th", { scope: "col" }, t(k))))),
    body);
  mount(container, h("section", { "aria-labelledby": "audit-title" },
    h("div", { class: "section-head" }, h("h2", { id: "audit-title" }, t("audit.title"))),
    h("p", { class: "muted small" }, t(admin ? "audit.noteAdmin" : "audit.noteMember")),
    form, count,
    h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": t("audit.title") }, table),
    status, more));

  let alive = true;
  /** An older server without /api/v1/history: commands only, from /api/v1/commands, filtered here; no CSV. */
  let legacy = false;
  const names = new Map();
  async function legacyPage(q) {
    const lq = new URLSearchParams({ limit: q.get("limit") });
    for (const k of ["deviceId", "cursor"]) if (q.get(k)) lq.set(k, q.get(k));
    const page = await get(`/api/v1/commands?${lq}`);
    csv.hidden = true;
    const from = Number(q.get("from") || 0);
    const to = Number(q.get("to") || Infinity);
    const items = (page?.items || []).map((c) => ({
      id: c.requestId, kind: "command", at: c.issuedAt, deviceId: c.deviceId, power: c.action, origin: c.origin,
      status: c.status, ackLatencyMs: c.ackLatencyMs,
      actor: {
        type: c.origin, id: c.origin === "api_key" ? c.clientId : c.origin === "schedule" ? c.scheduleId : c.userId,
        name: c.origin === "api_key" ? names.get(`key:${c.clientId}`) : c.origin === "user" ? names.get(`user:${c.userId}`) : null,
      },
    })).filter((c) => (!q.get("origin") || c.origin === q.get("origin")) && (!q.get("status") || c.status === q.get("status"))
      && (!q.get("userId") || String(c.actor.id) === q.get("userId") && c.origin === "user")
      && (!q.get("clientId") || String(c.actor.id) === q.get("clientId") && c.origin === "api_key")
      && c.at >= from && c.at < to);
    return { items, nextCursor: page?.nextCursor || null };
  }
  let cursor = null;
  let seq = 0;
  let shown = 0;

  function query() {
    const q = new URLSearchParams();
    if (lamp.value) q.set("deviceId", lamp.value);
    if (who.value) {
      const [kind, id] = who.value.split(":");
      q.set(kind === "key" ? "clientId" : "userId", id);
    }
    if (origin.value) q.set("origin", origin.value);
    if (outcome.value) q.set("status", outcome.value);
    const start = dayStart(from.value);
    const end = dayStart(to.value, 1);
    if (start != null) q.set("from", String(start));
    if (end != null) q.set("to", String(end));
    return q;
  }

  function row(item) {
    const at = item.at;
    const name = item.deviceName ?? state.devices.get(item.deviceId)?.name;
    const power = item.power || item.action;
    const st = item.status;
    return h("tr", { dataset: { id: String(item.id ?? item.requestId), kind: item.kind || "command" } },
      h("td", {}, at ? h("time", { datetime: new Date(at).toISOString(), title: formatFull(at) }, formatDateTime(at)) : t("common.none")),
      h("td", {}, name ? h("span", { translate: "no" }, name) : h("code", { translate: "no" }, item.deviceId)),
      h("td", {}, h("span", { class: ["dot", power === "ON" ? "dot-on" : "dot-off"], "aria-hidden": "true" }), t(power === "ON" ? "audit.on" : "audit.off")),
      h("td", {}, actorText(item)),
      h("td", {}, st ? h("span", { class: ["badge", `cmd-${st.toLowerCase()}`] }, t(`outcome.${st}`)) : h("span", { class: "badge" }, t("audit.reported"))),
      h("td", { class: "num" }, item.ackLatencyMs != null ? t("audit.ms", { n: formatNumber(item.ackLatencyMs) }) : t("common.none")));
  }

  async function load(resetList) {
    const mine = ++seq;
    if (resetList) {
      cursor = null;
      shown = 0;
      mount(body);
      mount(status, t("common.loading"));
      status.hidden = false;
    }
    const q = query();
    csv.href = `/api/v1/history/export.csv${q.toString() ? `?${q}` : ""}`;
    q.set("limit", String(PAGE));
    if (cursor) q.set("cursor", cursor);
    more.disabled = true;
    try {
      const page = legacy ? await legacyPage(q) : await get(`/api/v1/history?${q}`).catch((error) => {
        if (error.status !== 404) throw error;
        legacy = true;
        return legacyPage(q);
      });
      if (!alive || mine !== seq) return;
      const items = page?.items || [];
      for (const item of items) body.append(row(item));
      shown += items.length;
      cursor = page?.nextCursor || null;
      more.hidden = !cursor;
      status.hidden = shown > 0;
      mount(status, shown ? "" : t("audit.empty"));
      mount(count, t(cursor ? "audit.countMore" : "audit.count", { n: formatNumber(shown) }));
    } catch (error) {
      if (!alive || mine !== seq) return;
      mount(status, errorText(error));
      status.hidden = false;
    } finally {
      more.disabled = false;
    }
  }

  async function loadPeople() {
    if (!admin) return;
    try {
      const [users, keys] = await Promise.all([get("/api/v1/users?includeArchived=true"), get("/api/v1/integrations/clients")]);
      if (!alive) return;
      const people = (Array.isArray(users) ? users : users?.items || []).sort((a, b) => compare(a.name, b.name));
      const clients = (Array.isArray(keys) ? keys : keys?.items || []).sort((a, b) => compare(a.name, b.name));
      for (const u of people) names.set(`user:${u.id}`, u.name);
      for (const k of clients) names.set(`key:${k.id}`, k.name);
      who.append(
        h("optgroup", { label: t("audit.people") }, people.map((u) => h("option", { value: `user:${u.id}`, translate: "no" }, u.name))),
        clients.length ? h("optgroup", { label: t("audit.keys") }, clients.map((k) => h("option", { value: `key:${k.id}`, translate: "no" }, k.name))) : null);
    } catch {
      /* the filter stays "everyone" */
    }
  }

  for (const control of [lamp, who, origin, outcome, from, to]) control.addEventListener("change", () => load(true));
  form.addEventListener("reset", () => setTimeout(() => load(true), 0));
  more.addEventListener("click", () => load(false));
  loadPeople();
  load(true);
  return () => {
    alive = false;
  };
}
