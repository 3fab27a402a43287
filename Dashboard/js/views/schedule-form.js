// The schedule form (#/jadwal/baru, #/jadwal/<id>): a window schedule with day chips and presets, from/until as
// 24-hour hour and minute fields (not <input type=time>, which follows the browser's locale), ON/OFF, the
// enforcement interval as minutes:seconds, the time zone (Indonesian zones first); or an advanced cron. A sentence
// and the next three runs come from POST /api/v1/schedules/preview (the server's own engine); an ON and an OFF
// window of the same lamp that overlap are flagged.
import { h, mount, uid } from "../dom.js";
import { t, formatInZone } from "../i18n.js";
import { get, post, patch, randomId } from "../api.js";
import { state } from "../store.js";
import { toast, errorText } from "../ui.js";
import { manageableLamps } from "./schedules.js";
import {
  WEEK, PRESETS, timeZones, zoneLabel, dowField, asWindow, windowCron, sentence, overlaps,
} from "../schedule-model.js";

function numberInput(id, label, value, max, width = 2) {
  return h("input", {
    id, type: "text", inputmode: "numeric", pattern: "[0-9]*", maxlength: width, autocomplete: "off",
    value: String(value).padStart(2, "0"), "aria-label": label, dataset: { max: String(max) },
  });
}

function clockField(idPrefix, legend, seconds) {
  const hour = numberInput(`${idPrefix}-h`, t("sched.hour"), Math.floor(seconds / 3600), 23);
  const minute = numberInput(`${idPrefix}-m`, t("sched.minute"), Math.floor((seconds % 3600) / 60), 59);
  const group = h("fieldset", { class: "clock-field" },
    h("legend", {}, legend),
    h("div", { class: "clock" }, hour, h("span", { class: "clock-sep", "aria-hidden": "true" }, ":"), minute,
      h("span", { class: "muted small" }, t("sched.h24"))));
  return {
    el: group,
    inputs: [hour, minute],
    value() {
      const hh = Number(hour.value);
      const mm = Number(minute.value);
      if (!/^\d{1,2}$/.test(hour.value) || !/^\d{1,2}$/.test(minute.value) || hh > 23 || mm > 59) return null;
      return hh * 3600 + mm * 60;
    },
  };
}

export function renderForm(container, idText) {
  const editing = idText !== "baru";
  const lamps = manageableLamps();
  const formId = uid("sf");
  const status = h("p", { class: "muted", role: "status" });
  mount(container, h("section", { class: "view" }, status));
  let alive = true;
  const groupId = randomId();
  let existing = null;
  let others = [];

  async function start() {
    try {
      const all = await get("/api/v1/schedules");
      others = Array.isArray(all) ? all : all?.items || [];
      if (editing) {
        existing = others.find((s) => String(s.id) === idText) || (await get(`/api/v1/schedules/${encodeURIComponent(idText)}`));
      }
    } catch (error) {
      mount(status, errorText(error));
      return;
    }
    if (alive) build();
  }

  function build() {
    const win = existing ? asWindow(existing) : null;
    let mode = existing && !win ? "cron" : "window";
    let days = win ? [...win.days] : [...PRESETS.everyday];
    const lamp = h("select", { id: `${formId}-lamp`, required: true },
      lamps.map((d) => h("option", { value: d.id, translate: "no", selected: existing ? d.id === existing.deviceId : false }, d.name)));
    if (existing && !lamps.some((d) => d.id === existing.deviceId)) {
      lamp.append(h("option", { value: existing.deviceId, translate: "no", selected: true }, state.devices.get(existing.deviceId)?.name ?? existing.deviceId));
    }
    lamp.disabled = Boolean(existing);
    const zone = h("select", { id: `${formId}-zone` }, timeZones().map((z) => h("option", { value: z, translate: "no", selected: z === (existing?.timezone || "Asia/Jakarta") }, z)));
    const chips = WEEK.map((d) => h("button", {
      type: "button", class: "chip", dataset: { day: String(d) }, "aria-pressed": String(days.includes(d)), "aria-label": t(`day.long.${d}`),
      onclick: () => {
        days = days.includes(d) ? days.filter((x) => x !== d) : [...days, d];
        paintChips();
        changed();
      },
    }, t(`day.short.${d}`)));
    const presets = Object.entries(PRESETS).map(([key, list]) => h("button", {
      type: "button", class: "chip", dataset: { preset: key },
      onclick: () => {
        days = [...list];
        paintChips();
        changed();
      },
    }, t(`days.preset.${key}`)));
    function paintChips() {
      for (const c of chips) c.setAttribute("aria-pressed", String(days.includes(Number(c.dataset.day))));
      for (const p of presets) p.setAttribute("aria-pressed", String(dowField(days) === dowField(PRESETS[p.dataset.preset])));
    }
    const from = clockField(`${formId}-from`, t("sched.from"), win?.start ?? 18 * 3600);
    const until = clockField(`${formId}-until`, t("sched.until"), win?.end ?? 23 * 3600);
    const every = win?.every ?? 60;
    const intMin = numberInput(`${formId}-im`, t("sched.minutes"), Math.floor(every / 60), 1440, 4);
    const intSec = numberInput(`${formId}-is`, t("sched.seconds"), every % 60, 59);
    const actionName = `${formId}-action`;
    const action = (value) => h("label", {}, h("input", {
      type: "radio", name: actionName, value, checked: (existing?.action || "ON") === value, onchange: changed,
    }), t(value === "ON" ? "sched.actionOn" : "sched.actionOff"));
    const cron = h("input", {
      id: `${formId}-cron`, type: "text", autocomplete: "off", spellcheck: false, maxlength: 255,
      value: mode === "cron" ? existing.cron : "0 18 * * *", "aria-describedby": `${formId}-cron-help`, translate: "no",
    });
    const preview = h("div", { class: "preview", "aria-live": "polite" });
    const overlap = h("p", { class: "warning", role: "alert", hidden: true });
    const message = h("p", { class: "form-error", role: "alert" });
    const save = h("button", { type: "submit", class: "btn btn-primary" }, t(existing ? "common.save" : "sched.create"));
    const tabWindow = h("button", { type: "button", class: "chip", "aria-pressed": String(mode === "window"), onclick: () => setMode("window") }, t("sched.modeWindow"));
    const tabCron = h("button", { type: "button", class: "chip", "aria-pressed": String(mode === "cron"), onclick: () => setMode("cron") }, t("sched.modeCron"));
    const windowPart = h("div", {},
      h("fieldset", {}, h("legend", {}, t("sched.days")),
        h("div", { class: "day-chips", role: "group", "aria-label": t("sched.days") }, chips),
        h("div", { class: "preset-chips", role: "group", "aria-label": t("sched.presets") }, presets)),
      h("div", { class: "time-row" }, from.el, until.el),
      h("fieldset", {}, h("legend", {}, t("sched.interval")),
        h("div", { class: "clock" }, intMin, h("span", { class: "clock-sep", "aria-hidden": "true" }, ":"), intSec, h("span", { class: "muted small" }, t("sched.mmss"))),
        h("p", { class: "help" }, t("sched.intervalHelp"))));
    const cronPart = h("div", { class: "field" },
      h("label", { for: `${formId}-cron` }, t("sched.cron")), cron,
      h("p", { class: "help", id: `${formId}-cron-help` }, t("sched.cronHelp")));
    function setMode(next) {
      mode = next;
      tabWindow.setAttribute("aria-pressed", String(mode === "window"));
      tabCron.setAttribute("aria-pressed", String(mode === "cron"));
      windowPart.hidden = mode !== "window";
      cronPart.hidden = mode !== "cron";
      changed();
    }

    /** The request body for the current input, or {error} naming what is wrong. */
    function read() {
      const deviceId = lamp.value;
      const act = container.querySelector(`input[name="${actionName}"]:checked`)?.value || "ON";
      const body = { deviceId, action: act, timezone: zone.value };
      if (mode === "cron") {
        if (!cron.value.trim()) return { error: t("sched.cronMissing") };
        return { body: { ...body, cron: cron.value.trim(), windowGroupId: null, windowStartMinute: null, windowEndMinute: null, enforceEveryMinute: null } };
      }
      if (!days.length) return { error: t("sched.noDays") };
      const start = from.value();
      const end = until.value();
      if (start == null || end == null) return { error: t("sched.badTime") };
      if (start === end) return { error: t("sched.sameTime") };
      const secs = Number(intMin.value) * 60 + Number(intSec.value);
      if (!/^\d{1,4}$/.test(intMin.value) || !/^\d{1,2}$/.test(intSec.value) || Number(intSec.value) > 59 || secs < 1 || secs > 86400) {
        return { error: t("sched.badInterval") };
      }
      return {
        body: { ...body, cron: windowCron(days), windowGroupId: existing?.windowGroupId || groupId, windowStartMinute: start, windowEndMinute: end, enforceEveryMinute: secs },
        window: { days: [...days], start, end, every: secs },
      };
    }

    let previewTimer = null;
    let previewSeq = 0;
    function changed() {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(runPreview, 250);
    }
    async function runPreview() {
      const seq = ++previewSeq;
      const r = read();
      const name = state.devices.get(lamp.value)?.name ?? lamp.value;
      overlap.hidden = true;
      if (r.error) return mount(preview, h("p", { class: "field-error" }, r.error));
      const parts = [];
      parts.push(h("p", { class: "sentence", id: `${formId}-sentence` },
        r.window ? sentence(name, r.body.action, r.window, r.body.timezone) : t(r.body.action === "ON" ? "sched.cronOn" : "sched.cronOff", { lamp: name })));
      if (r.window) {
        const clash = others.find((s) => s.deviceId === r.body.deviceId && s.id !== existing?.id && s.action !== r.body.action && s.enabled
          && asWindow(s) && overlaps(asWindow(s), r.window));
        if (clash) {
          mount(overlap, t("sched.overlap", { other: sentence(name, clash.action, asWindow(clash), clash.timezone) }));
          overlap.hidden = false;
        }
      }
      mount(preview, parts, h("p", { class: "muted small" }, t("common.loading")));
      try {
        const body = { cron: r.body.cron, timezone: r.body.timezone, count: 3 };
        // The preview takes the window numbers only (no group id).
        if (r.window) Object.assign(body, { windowStartMinute: r.body.windowStartMinute, windowEndMinute: r.body.windowEndMinute, enforceEveryMinute: r.body.enforceEveryMinute });
        const result = await post("/api/v1/schedules/preview", body);
        if (seq !== previewSeq) return;
        const runs = result?.runs || [];
        mount(preview, parts, h("p", { class: "small" }, t("sched.nextRuns")),
          runs.length ? h("ol", { class: "next-runs" }, runs.map((ms) => h("li", {}, h("time", { datetime: new Date(ms).toISOString() }, formatInZone(ms, r.body.timezone), " ", zoneLabel(r.body.timezone)))))
            : h("p", { class: "muted small" }, t("sched.noNextRuns")));
      } catch (error) {
        if (seq !== previewSeq) return;
        const serverText = error.message && error.code?.startsWith("SCHEDULE_INVALID") ? h("span", { class: "server-message", translate: "no" }, error.message) : null;
        mount(preview, parts, h("p", { class: "field-error" }, errorText(error), serverText ? [" ", t("sched.serverSays"), " ", serverText] : null));
      }
    }

    const form = h("form", {
      class: "card form-card", novalidate: true, "aria-labelledby": `${formId}-title`,
      onsubmit: async (event) => {
        event.preventDefault();
        mount(message);
        const r = read();
        if (r.error) return mount(message, r.error);
        save.disabled = true;
        try {
          if (existing) {
            const { deviceId, ...changes } = r.body;
            void deviceId;
            await patch(`/api/v1/schedules/${existing.id}`, changes, { idempotent: true });
          } else {
            const body = Object.fromEntries(Object.entries(r.body).filter(([, v]) => v !== null));
            await post("/api/v1/schedules", { ...body, enabled: true }, { idempotent: true });
          }
          toast(t(existing ? "sched.saved" : "sched.created"), { kind: "success" });
          location.hash = "#/jadwal";
        } catch (error) {
          save.disabled = false;
          const serverText = error.code?.startsWith("SCHEDULE_INVALID") && error.message ? [" ", t("sched.serverSays"), " ", h("span", { class: "server-message", translate: "no" }, error.message)] : null;
          mount(message, errorText(error), serverText);
        }
      },
    },
    h("h1", { id: `${formId}-title` }, t(existing ? "sched.editTitle" : "sched.newTitle")),
    h("div", { class: "field" }, h("label", { for: `${formId}-lamp` }, t("sched.lamp")), lamp),
    h("div", { class: "tabs", role: "group", "aria-label": t("sched.mode") }, tabWindow, tabCron),
    windowPart, cronPart,
    h("fieldset", {}, h("legend", {}, t("sched.action")), h("div", { class: "segmented" }, action("ON"), action("OFF"))),
    h("div", { class: "field" }, h("label", { for: `${formId}-zone` }, t("sched.zone")), zone),
    preview, overlap, message,
    h("div", { class: "actions" }, save, h("a", { class: "btn", href: "#/jadwal" }, t("common.cancel"))));
    for (const el of [lamp, zone, cron, intMin, intSec, ...from.inputs, ...until.inputs]) el.addEventListener("input", changed);
    for (const el of [intMin, intSec, ...from.inputs, ...until.inputs]) {
      el.addEventListener("blur", () => {
        if (/^\d+$/.test(el.value) && el.maxLength <= 2) el.value = el.value.padStart(2, "0");
      });
    }
    if (!lamps.length && !existing) {
      mount(container, h("section", { class: "view" }, h("p", { class: "empty" }, t("sched.noManageable"))));
      return;
    }
    mount(container, h("section", { class: "view" }, h("p", {}, h("a", { href: "#/jadwal" }, t("common.back"))), form));
    paintChips();
    setMode(mode);
  }

  start();
  return () => {
    alive = false;
  };
}
