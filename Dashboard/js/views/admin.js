// #/kelola/<bagian>: the administrator's screens under one "Kelola" entry — lamps, discovery inbox, family members,
// API keys, audit log, system. A member who manages a lamp sees the lamps part (and the audit log of their lamps);
// every other part is for administrators only, and the server checks each call anyway.
import { h, mount, attr } from "../dom.js";
import { t } from "../i18n.js";
import { isAdmin, on, canManageAny } from "../store.js";

const TABS = [
  { id: "lampu", label: "admin.tab.lamps", member: true, load: () => import("./admin-lamps.js") },
  { id: "penemuan", label: "admin.tab.discovery", load: () => import("./admin-discovery.js") },
  { id: "anggota", label: "admin.tab.members", load: () => import("./admin-members.js") },
  { id: "kunci", label: "admin.tab.keys", load: () => import("./admin-keys.js") },
  { id: "audit", label: "admin.tab.audit", member: true, load: () => import("./admin-audit.js") },
  { id: "sistem", label: "admin.tab.system", load: () => import("./admin-system.js") },
];

function allowedTabs() {
  return TABS.filter((tab) => isAdmin() || tab.member);
}

let live = null;

export function render(container, rest) {
  if (!canManageAny()) {
    location.replace("#/lampu");
    return null;
  }
  const links = new Map();
  const subnav = h("nav", { class: "subnav", "aria-label": t("admin.sections") },
    h("ul", {}, allowedTabs().map((tab) => {
      const a = h("a", { href: `#/kelola/${tab.id}`, dataset: { tab: tab.id } }, t(tab.label));
      links.set(tab.id, a);
      return h("li", {}, a);
    })));
  const body = h("div", { class: "admin-body" });
  mount(container, h("section", { class: "view admin-view", "aria-labelledby": "admin-title" },
    h("div", { class: "view-head" }, h("h1", { id: "admin-title" }, t("nav.manage")), subnav), body));

  let current = null;
  let cleanup = null;
  let module = null;
  let seq = 0;

  async function show(args) {
    const allowed = allowedTabs();
    const tab = allowed.find((x) => x.id === args[0]);
    if (!tab) {
      location.replace(`#/kelola/${allowed[0].id}`);
      return;
    }
    for (const [id, a] of links) attr(a, "aria-current", id === tab.id ? "page" : false);
    if (current === tab.id && module?.update) {
      module.update(args.slice(1));
      return;
    }
    const mine = ++seq;
    const loaded = await tab.load();
    if (mine !== seq) return;
    cleanup?.();
    current = tab.id;
    module = loaded;
    cleanup = loaded.render(body, args.slice(1)) || null;
    document.title = `${t(tab.label)} · ${t("nav.manage")} · SmartLamp`;
  }

  show(rest);
  live = { show };
  // A member who loses their last managed lamp has nothing left here.
  const off = on("lamps", () => {
    if (!canManageAny()) location.replace("#/lampu");
  });
  return () => {
    seq += 1;
    cleanup?.();
    off();
    live = null;
  };
}

export function update(rest) {
  live?.show(rest);
}
