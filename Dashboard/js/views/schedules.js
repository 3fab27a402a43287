// #/jadwal: schedules grouped by lamp — the window in words, days, time zone, active or paused, next run, last
// run with its result — with pause/resume, delete behind a <dialog>, run history with reasons in words.
// #/jadwal/baru and #/jadwal/<id> open the form (schedule-form.js). Forms only where the person may manage.
import { h, mount } from "../dom.js";
import { t, formatInZone, formatDateTime, formatFull } from "../i18n.js";
import { get, patch, del } from "../api.js";
import { state, isAdmin, schedulePermissionOf, canControl } from "../store.js";
import { toast, errorText, confirmDialog, announce } from "../ui.js";
import { icons } from "../icons.js";
import { asWindow, sentence, intervalText, zoneLabel, reasonText } from "../schedule-model.js";

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/** Lamps whose schedules the person may create or change. */
export function manageableLamps() {
  return [...state.devices.values()]
    .filter((d) => isAdmin() || (schedulePermissionOf(d.id) === "manage" && canControl(d.id)))
    .sort((a, b) => collator.compare(a.name, b.name));
}

function mayManage(schedule) {
  return isAdmin() || (schedulePermissionOf(schedule.deviceId) === "manage" && canControl(schedule.deviceId));
}

function runBadge(status) {
  if (!status) return h("span", { class: "muted" }, t("sched.never"));
  return h("span", { class: ["badge", `run-${status.toLowerCase()}`] }, t(`run.${status}`));
}

function runsList(schedule, container) {
  mount(container, h("p", { class: "muted small", role: "status" }, t("common.loading")));
  get(`/api/v1/schedules/${schedule.id}/runs?limit=20`).then((page) => {
    const runs = Array.isArray(page) ? page : page?.items || [];
    if (!runs.length) return mount(container, h("p", { class: "muted small" }, t("sched.noRuns")));
    mount(container, h("ol", { class: "runs", "aria-label": t("sched.runsOf", { id: schedule.id }) }, runs.map((run) => {
      const reason = reasonText(run);
      return h("li", {},
        runBadge(run.status), " ",
        h("time", { datetime: new Date(run.plannedAt).toISOString(), title: formatFull(run.plannedAt) }, formatInZone(run.plannedAt, schedule.timezone)),
        reason ? h("span", { class: "muted" }, " — ", reason) : null);
    })));
  }).catch((error) => mount(container, h("p", { class: "field-error" }, errorText(error))));
}

function card(schedule, reload) {
  const device = state.devices.get(schedule.deviceId);
  const lampName = device?.name ?? schedule.deviceName ?? schedule.deviceId;
  const window = asWindow(schedule);
  const title = window
    ? sentence(lampName, schedule.action, window, schedule.timezone)
    : t(schedule.action === "ON" ? "sched.cronOn" : "sched.cronOff", { lamp: lampName });
  const runs = h("div", { hidden: true });
  const manage = mayManage(schedule);
  const facts = [
    [t("sched.status"), h("span", { class: ["badge", schedule.enabled ? "status-active" : "status-paused"] }, t(schedule.enabled ? "sched.active" : "sched.paused"))],
    window ? null : [t("sched.cron"), h("code", { translate: "no", class: "server-message" }, schedule.cron)],
    window ? [t("sched.interval"), intervalText(window.every)] : null,
    [t("sched.zone"), h("span", { translate: "no" }, schedule.timezone)],
    [t("sched.next"), schedule.enabled && schedule.nextRunAt ? h("time", { datetime: new Date(schedule.nextRunAt).toISOString(), title: formatFull(schedule.nextRunAt) },
      formatInZone(schedule.nextRunAt, schedule.timezone), " ", zoneLabel(schedule.timezone)) : t("common.none")],
    [t("sched.last"), schedule.lastRunAt
      ? [h("time", { datetime: new Date(schedule.lastRunAt).toISOString(), title: formatFull(schedule.lastRunAt) }, formatDateTime(schedule.lastRunAt)), " ",
        runBadge(schedule.lastRunStatus), schedule.lastRunReason ? h("span", { class: "muted" }, " — ", reasonText(schedule)) : null]
      : h("span", { class: "muted" }, t("sched.never"))],
  ].filter(Boolean);
  const actions = h("div", { class: "actions" },
    h("button", {
      type: "button", class: "btn btn-small", "aria-expanded": "false",
      onclick: (event) => {
        const open = runs.hidden;
        runs.hidden = !open;
        event.currentTarget.setAttribute("aria-expanded", String(open));
        if (open) runsList(schedule, runs);
      },
    }, icons.history(), t("sched.runs")),
    manage ? h("a", { class: "btn btn-small", href: `#/jadwal/${schedule.id}` }, icons.edit(), t("common.edit")) : null,
    manage ? h("button", {
      type: "button", class: "btn btn-small",
      onclick: async () => {
        try {
          await patch(`/api/v1/schedules/${schedule.id}`, { enabled: !schedule.enabled }, { idempotent: true });
          announce(t(schedule.enabled ? "sched.pausedNow" : "sched.resumedNow"));
          reload();
        } catch (error) {
          toast(errorText(error), { kind: "error" });
        }
      },
    }, schedule.enabled ? icons.pause() : icons.play(), t(schedule.enabled ? "sched.pause" : "sched.resume")) : null,
    manage ? h("button", {
      type: "button", class: "btn btn-small btn-danger",
      onclick: async () => {
        const ok = await confirmDialog({ title: t("sched.deleteTitle"), body: title, confirm: t("common.delete") });
        if (!ok) return;
        try {
          await del(`/api/v1/schedules/${schedule.id}`, { idempotent: true });
          toast(t("sched.deleted"), { kind: "success" });
          reload();
        } catch (error) {
          toast(errorText(error), { kind: "error" });
        }
      },
    }, icons.trash(), t("common.delete")) : null);
  return h("article", { class: "card schedule-card", dataset: { schedule: String(schedule.id), enabled: String(schedule.enabled) } },
    h("header", {}, h("h3", { class: "sentence" }, title)),
    h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    manage ? null : h("p", { class: "small muted" }, t("sched.readOnly")),
    actions, runs);
}

export function render(container, rest) {
  if (rest?.length) return renderForm(container, rest);
  const list = h("div", { class: "stack" }, h("p", { class: "muted", role: "status" }, t("common.loading")));
  const canCreate = manageableLamps().length > 0;
  mount(container, h("section", { class: "view", "aria-labelledby": "sched-title" },
    h("div", { class: "view-head page-actions" },
      h("h1", { id: "sched-title" }, t("sched.title")),
      canCreate ? h("a", { class: "btn btn-primary", href: "#/jadwal/baru" }, icons.plus(), t("sched.new")) : null),
    h("p", { class: "muted small" }, t("sched.note")),
    list));
  let alive = true;
  async function load() {
    try {
      const all = await get("/api/v1/schedules");
      if (!alive) return;
      const items = (Array.isArray(all) ? all : all?.items || []).filter((s) => isAdmin() || state.devices.has(s.deviceId));
      if (!items.length) return mount(list, h("p", { class: "empty" }, t(canCreate ? "sched.emptyCreate" : "sched.empty")));
      const groups = new Map();
      for (const s of items) {
        if (!groups.has(s.deviceId)) groups.set(s.deviceId, []);
        groups.get(s.deviceId).push(s);
      }
      const name = (id) => state.devices.get(id)?.name ?? groups.get(id)[0].deviceName ?? id;
      const ids = [...groups.keys()].sort((a, b) => collator.compare(name(a), name(b)));
      mount(list, ids.map((id, i) => h("section", { class: "schedule-group", "aria-labelledby": `sg-${i}` },
        h("h2", { id: `sg-${i}`, translate: "no" }, name(id)),
        groups.get(id).sort((a, b) => (b.enabled - a.enabled) || (a.nextRunAt ?? Infinity) - (b.nextRunAt ?? Infinity)).map((s) => card(s, load)))));
    } catch (error) {
      if (alive) mount(list, h("p", { class: "field-error", role: "alert" }, errorText(error)));
    }
  }
  load();
  return () => {
    alive = false;
  };
}

function renderForm(container, rest) {
  let cleanup = null;
  let alive = true;
  import("./schedule-form.js").then((m) => {
    if (alive) cleanup = m.renderForm(container, rest[0]);
  });
  return () => {
    alive = false;
    cleanup?.();
  };
}
