// #/riwayat: what happened across the house, newest first — every command with who sent it (you, another
// member, an API key or a schedule), whether the lamp confirmed it, and how long that took. A lamp filter; the
// per-lamp drawer (#/lampu/<id>) adds the changes made on the device itself.
import { h, mount } from "../dom.js";
import { t, formatDateTime, formatFull } from "../i18n.js";
import { get } from "../api.js";
import { state, isAdmin } from "../store.js";
import { errorText } from "../ui.js";

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

function actor(entry, users) {
  if (entry.origin === "schedule") return t("history.byScheduleAnon");
  if (entry.origin === "api_key") return t("activity.byKey");
  if (entry.userId != null && entry.userId === state.viewer?.id) return t("history.byYou");
  const name = users.get(entry.userId);
  return name ? [t("history.byUser", { name: "" }).trim(), " ", h("span", { translate: "no" }, name)] : t("history.bySomeone");
}

export function render(container) {
  const list = h("ol", { class: "history-list activity-list" });
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const more = h("button", { type: "button", class: "btn", hidden: true }, t("history.more"));
  const lamps = [...state.devices.values()].sort((a, b) => collator.compare(a.name, b.name));
  const filter = h("select", { id: "activity-lamp" },
    h("option", { value: "" }, t("activity.allLamps")),
    lamps.map((d) => h("option", { value: d.id, translate: "no" }, d.name)));
  mount(container, h("section", { class: "view", "aria-labelledby": "activity-title" },
    h("div", { class: "view-head" },
      h("h1", { id: "activity-title" }, t("activity.title")),
      h("p", { class: "muted small" }, t("activity.note")),
      h("div", { class: "field" }, h("label", { for: "activity-lamp" }, t("activity.lamp")), filter)),
    status, list, more));
  let cursor = null;
  let alive = true;
  const users = new Map();
  const usersLoaded = isAdmin()
    ? get("/api/v1/users").then((all) => {
      for (const u of Array.isArray(all) ? all : all?.items || []) users.set(u.id, u.name);
    }).catch(() => null)
    : Promise.resolve();

  async function load(reset) {
    if (reset) {
      cursor = null;
      mount(list);
    }
    more.disabled = true;
    try {
      const q = new URLSearchParams({ limit: "50" });
      if (cursor) q.set("cursor", cursor);
      if (filter.value) q.set("deviceId", filter.value);
      const [page] = await Promise.all([get(`/api/v1/commands?${q}`), usersLoaded]);
      if (!alive) return;
      const items = Array.isArray(page) ? page : page?.items || [];
      for (const e of items) {
        const name = state.devices.get(e.deviceId)?.name ?? e.deviceId;
        const at = e.issuedAt;
        const st = e.status ? h("span", { class: ["badge", `cmd-${e.status.toLowerCase()}`] },
          e.status === "ACKED" && e.ackLatencyMs != null ? t("cmdstatus.ACKED_MS", { n: e.ackLatencyMs }) : t(`cmdstatus.${e.status}`)) : null;
        list.append(h("li", { class: "history-item kind-command", dataset: { request: e.requestId } },
          h("span", { class: ["dot", e.action === "ON" ? "dot-on" : "dot-off"], "aria-hidden": "true" }),
          h("div", {},
            h("p", {}, h("strong", { translate: "no" }, name), " ", t(e.action === "ON" ? "activity.turnedOn" : "activity.turnedOff"), " ", actor(e, users)),
            h("p", { class: "muted small" },
              at ? h("time", { datetime: new Date(at).toISOString(), title: formatFull(at) }, formatDateTime(at)) : null, " ", st))));
      }
      cursor = Array.isArray(page) ? null : page?.nextCursor || null;
      more.hidden = !cursor;
      status.hidden = list.children.length > 0;
      mount(status, list.children.length ? "" : t("activity.empty"));
    } catch (error) {
      if (!alive) return;
      mount(status, errorText(error));
      status.hidden = false;
    } finally {
      more.disabled = false;
    }
  }
  filter.addEventListener("change", () => load(true));
  more.addEventListener("click", () => load(false));
  load(true);
  return () => {
    alive = false;
  };
}
