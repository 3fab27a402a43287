// #/kelola/sistem: is the server well? Readiness of the database and the MQTT broker (with refused subscriptions),
// version and uptime, lamps known and online, open realtime streams, command outcomes and acknowledgement latency
// (p50/p95 from the server's own histogram), the scheduler, and a link to the OpenAPI document. GET /api/v1/system,
// refreshed every few seconds while the page is open, so a broker that goes down and comes back shows both.
import { h, mount } from "../dom.js";
import { t, formatNumber, formatDateTime, formatFull, formatRelative } from "../i18n.js";
import { get } from "../api.js";
import { errorText } from "../ui.js";
import { state } from "../store.js";
import { durationText } from "./admin-common.js";
import { icons } from "../icons.js";

const REFRESH_MS = 3000;
const OUTCOME_ORDER = ["ACKED", "PUBLISHED", "TIMEOUT", "FAILED", "REFUSED"];
const outcomeRank = (k) => (OUTCOME_ORDER.includes(k) ? OUTCOME_ORDER.indexOf(k) : OUTCOME_ORDER.length);

function when(ms) {
  return ms ? h("time", { datetime: new Date(ms).toISOString(), title: formatFull(ms) }, formatDateTime(ms)) : t("common.none");
}

function check(name, ok, problem, extra) {
  return h("div", { class: ["check-line", ok ? "check-ok" : "check-fail"], dataset: { check: name, ok: String(ok) } },
    h("span", { class: "check-mark" }, ok ? icons.check() : icons.alert()),
    h("div", {},
      h("p", {}, h("strong", {}, t(`system.${name}`)), " ", t(ok ? `system.${name}.ok` : `system.${name}.fail`)),
      problem ? h("p", { class: "small muted" }, t("system.problem"), " ", h("span", { class: "server-message", translate: "no" }, problem)) : null,
      extra));
}

function card(id, title, ...children) {
  return h("section", { class: "card system-card", "aria-labelledby": id, dataset: { card: id } }, h("h3", { id }, title), ...children);
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([label, value, key]) => [h("dt", {}, label), h("dd", { dataset: key ? { fact: key } : {} }, value)]));
}

export function render(container) {
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const grid = h("div", { class: "system-grid" });
  const updated = h("p", { class: "small muted" });
  mount(container, h("section", { "aria-labelledby": "system-title" },
    h("div", { class: "page-actions section-head" }, h("h2", { id: "system-title" }, t("system.title")),
      h("a", { class: "btn", href: "/api/v1/openapi.json", target: "_blank", rel: "noopener", id: "system-openapi" }, t("system.openapi"))),
    h("p", { class: "muted small" }, t("system.note")),
    status, grid, updated));
  let alive = true;
  let timer = null;

  function paint(s) {
    const db = s.database || {};
    const broker = s.broker || {};
    const refused = broker.refusedSubscriptions || [];
    const devices = s.devices || {};
    const cmd = s.commands || {};
    const lat = cmd.ackLatencyMs || {};
    const outcomes = cmd.outcomes || {};
    const sched = s.scheduler || {};
    const ready = db.ready !== false && broker.ready !== false;
    mount(grid,
      card("sys-ready", t("system.readiness"),
        h("p", { class: ["badge", ready ? "status-active" : "status-bad"], dataset: { ready: String(ready) } }, t(ready ? "system.ready" : "system.notReady")),
        check("database", db.ready !== false, db.problem, db.dialect ? h("p", { class: "small muted" }, t("system.dialect"), " ", h("span", { translate: "no" }, db.dialect)) : null),
        check("broker", broker.ready !== false && broker.connected !== false, broker.problem,
          refused.length ? h("p", { class: "small" }, t("system.refused"), " ", h("code", { translate: "no" }, refused.join(", ")))
            : broker.connected ? h("p", { class: "small muted" }, t("system.noRefused")) : null)),
      card("sys-server", t("system.server"), facts([
        [t("system.version"), h("span", { translate: "no" }, s.version ?? t("common.none")), "version"],
        s.uptimeSec != null ? [t("system.uptime"), durationText(s.uptimeSec), "uptime"] : null,
        s.startedAt ? [t("system.started"), when(s.startedAt)] : null,
        s.realtime ? [t("system.streams"), formatNumber(s.realtime.openStreams ?? 0), "streams"] : null,
      ])),
      card("sys-devices", t("system.devices"), facts([
        [t("system.known"), formatNumber(devices.known ?? 0), "known"],
        [t("system.online"), formatNumber(devices.online ?? 0), "online"],
        [t("system.offline"), formatNumber(devices.offline ?? 0), "offline"],
        [t("system.unknown"), formatNumber(devices.unknown ?? 0), "unknown"],
      ])),
      s.commands && card("sys-commands", t("system.commands"),
        h("p", { class: "small muted" }, t("system.since"), " ", when(cmd.since)),
        facts([
          ...Object.entries(outcomes).sort(([a], [b]) => outcomeRank(a) - outcomeRank(b)).map(([k, v]) => [t(`outcome.${k}`), formatNumber(v), `outcome-${k}`]),
          [t("system.p50"), lat.p50 != null ? t("audit.ms", { n: formatNumber(lat.p50) }) : t("common.none"), "p50"],
          [t("system.p95"), lat.p95 != null ? t("audit.ms", { n: formatNumber(lat.p95) }) : t("common.none"), "p95"],
          [t("system.acked"), formatNumber(lat.count ?? 0)],
        ])),
      s.scheduler && card("sys-scheduler", t("system.scheduler"), facts([
        sched.enabled != null ? [t("system.schedulerState"), t(sched.enabled ? "system.schedulerOn" : "system.schedulerOff"), "scheduler"] : null,
        [t("system.enabledSchedules"), formatNumber(sched.enabledSchedules ?? 0), "schedules"],
        [t("system.nextDue"), when(sched.nextDueAt)],
        [t("system.lastRun"), sched.lastRunAt ? [when(sched.lastRunAt), sched.lastRunStatus ? [" · ", t(`run.${sched.lastRunStatus}`)] : null] : t("common.none")],
      ])));
    status.hidden = true;
    mount(updated, t("system.updated"), " ", h("time", { datetime: new Date().toISOString() }, formatRelative(Date.now())));
  }

  /** A server without /api/v1/system: readiness and version from the health routes, lamps from this page. */
  async function fromHealth() {
    const [ready, live] = await Promise.all([
      fetch("/api/v1/health/ready", { headers: { Accept: "application/json" } }).then((r) => r.json()).catch(() => null),
      get("/api/health").catch(() => null),
    ]);
    const checks = ready?.data?.checks ?? ready?.error?.details?.checks ?? {};
    const part = (c) => ({ ready: c ? c.status === "ok" : undefined, problem: c?.error ?? null });
    const ids = [...state.devices.keys()];
    const online = ids.filter((id) => state.status.get(id)?.online === true).length;
    const offline = ids.filter((id) => state.status.get(id)?.online === false).length;
    return {
      version: live?.version, database: part(checks.database), broker: part(checks.broker),
      devices: { known: ids.length, online, offline, unknown: ids.length - online - offline },
    };
  }

  async function load() {
    try {
      let s;
      try {
        s = await get("/api/v1/system", { timeoutMs: 8000 });
      } catch (error) {
        if (error.status !== 404) throw error;
        s = await fromHealth();
      }
      if (!alive) return;
      paint(s || {});
    } catch (error) {
      if (!alive) return;
      mount(status, errorText(error));
      status.hidden = false;
    } finally {
      if (alive) timer = setTimeout(load, REFRESH_MS);
    }
  }
  load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}
