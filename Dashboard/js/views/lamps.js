// #/lampu: lamps grouped by room (the device's location; "Tanpa ruangan" last), favourites pinned on top, search
// and quick filters, per-room "N dari M menyala" + "Matikan semua", the house status card. #/lampu/<id> opens
// the lamp's history drawer over it. One SSE frame updates one tile and its room line, nothing else.
import { h, mount, setText } from "../dom.js";
import { t, formatNumber } from "../i18n.js";
import { state, on, lampState, roomOf, favourites, isAdmin, isOn, canControl } from "../store.js";
import { allOffTargets, sendBatch } from "../commands.js";
import { createTile } from "./tile.js";
import { toast, announce, errorText } from "../ui.js";
import { icons } from "../icons.js";

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

let filter = "all";
let query = "";

// ------------------------------------------------------------------ messages for settled commands (any view)

on("settled", ({ id, outcome, pending, error }) => {
  const name = state.devices.get(id)?.name ?? id;
  if (outcome === "confirmed") {
    if (!pending.batch) announce(t(pending.action === "ON" ? "msg.confirmedOn" : "msg.confirmedOff", { name }));
    return;
  }
  if (pending.batch) return;
  let message;
  if (outcome === "timeout") message = t("msg.timeout", { name });
  else if (outcome === "offline") message = t("msg.wentOffline", { name });
  else message = t("msg.failed", { name, reason: errorText(error) });
  toast(message, { kind: "error" });
});

let changeBuffer = [];
let changeTimer = null;
on("lamp", ({ id, prev, next, quiet, powerChanged, onlineChanged }) => {
  // Announce changes that happened elsewhere (not our own pending commands, not snapshots).
  if (!prev || !next || quiet || state.pending.has(id)) return;
  if (!powerChanged && !onlineChanged) return;
  const name = state.devices.get(id)?.name ?? id;
  const word = onlineChanged ? (next.online ? t("msg.online", { name }) : t("msg.offline", { name }))
    : next.power === "ON" ? t("msg.nowOn", { name }) : next.power === "OFF" ? t("msg.nowOff", { name }) : null;
  if (!word) return;
  changeBuffer.push(word);
  clearTimeout(changeTimer);
  changeTimer = setTimeout(() => {
    announce(changeBuffer.length > 3 ? t("msg.manyChanged", { n: changeBuffer.length }) : changeBuffer.join(". "));
    changeBuffer = [];
  }, 500);
});

// ------------------------------------------------------------------ all off (room and house) with undo

async function allOff(ids, label) {
  const targets = allOffTargets(ids);
  if (targets.length === 0) {
    toast(t("lamps.allOffNothing"));
    return null;
  }
  const wasOn = targets.filter((id) => isOn(id));
  let undone = false;
  const running = sendBatch(targets, "OFF");
  const note = toast(t("lamps.allOffSending", { n: targets.length, label }), {
    seconds: 5, countdown: true,
    action: wasOn.length ? {
      label: t("common.undo"),
      run: async () => {
        undone = true;
        await running;
        const back = wasOn.filter((id) => canControl(id) && lampState(id) !== "offline");
        const result = await sendBatch(back, "ON");
        toast(result.failed.length ? t("lamps.undoPartial", { n: result.ok.length, m: result.failed.length }) : t("lamps.undoDone", { n: result.ok.length }),
          { kind: result.failed.length ? "error" : "success" });
      },
    } : null,
  });
  const result = await running;
  if (undone) return result;
  const text = result.failed.length
    ? t("lamps.allOffPartial", { n: result.ok.length, m: result.failed.length })
    : t("lamps.allOffDone", { n: result.ok.length });
  note.update(text);
  announce(text);
  return result;
}

export function houseAllOff() {
  return allOff([...state.devices.keys()], t("lamps.everywhere"));
}

// ------------------------------------------------------------------ the view

function statusCard() {
  const rows = {
    stream: h("dd", {}),
    online: h("dd", {}),
    on: h("dd", {}),
    broker: h("dd", {}),
  };
  const brokerRow = [h("dt", {}, t("status.broker")), rows.broker];
  const card = h("aside", { class: "card status-card", "aria-labelledby": "status-card-title" },
    h("h2", { id: "status-card-title" }, t("status.title")),
    h("dl", {},
      h("dt", {}, t("status.stream")), rows.stream,
      h("dt", {}, t("status.online")), rows.online,
      h("dt", {}, t("status.lampsOn")), rows.on,
      isAdmin() ? brokerRow : null),
    state.health?.version ? h("p", { class: "muted small" }, t("status.version", { v: "" }), h("span", { translate: "no" }, state.health.version)) : null);
  let broker = null;
  async function loadBroker() {
    if (!isAdmin()) return;
    try {
      const ready = await fetch("/api/v1/health/ready", { headers: { Accept: "application/json" } }).then((r) => r.json());
      const checks = ready?.data?.checks ?? ready?.error?.details?.checks;
      broker = checks?.broker?.status === "ok" ? "ok" : checks?.broker ? "down" : "unknown";
    } catch {
      broker = "unknown";
    }
    paint();
  }
  function paint() {
    const ids = [...state.devices.keys()];
    const online = ids.filter((id) => state.status.get(id)?.online === true).length;
    const lit = ids.filter((id) => isOn(id)).length;
    setText(rows.stream, t(`conn.${state.stream}`));
    rows.stream.dataset.stream = state.stream;
    setText(rows.online, t("status.nOfM", { n: formatNumber(online), m: formatNumber(ids.length) }));
    setText(rows.on, formatNumber(lit));
    setText(rows.broker, broker ? t(`status.broker.${broker}`) : "…");
  }
  paint();
  loadBroker();
  return { card, paint, loadBroker };
}

export function render(container, rest) {
  const tiles = new Map(); // id → tile (in room sections)
  const favTiles = new Map(); // id → tile (in the favourites section)
  const rooms = new Map(); // room key → {section, count, button, ids}
  const offs = [];

  const search = h("input", {
    type: "search", class: "search-input", placeholder: t("lamps.searchPlaceholder"), "aria-label": t("lamps.search"),
    value: query, autocomplete: "off",
    oninput: () => {
      query = search.value;
      applyFilter();
    },
  });
  const chips = ["all", "on", "offline"].map((f) => h("button", {
    type: "button", class: "chip", "aria-pressed": String(filter === f), dataset: { filter: f },
    onclick: () => {
      filter = f;
      for (const c of chips) c.setAttribute("aria-pressed", String(c.dataset.filter === f));
      applyFilter();
    },
  }, t(`filter.${f}`)));
  const sections = h("div", { class: "lamp-sections" });
  const empty = h("p", { class: "empty", hidden: true });
  const status = statusCard();
  const view = h("section", { class: "view lamps-view", "aria-labelledby": "lamps-title" },
    h("div", { class: "view-head" },
      h("h1", { id: "lamps-title" }, t("lamps.title")),
      h("div", { class: "toolbar" },
        h("label", { class: "search" }, icons.search(), search),
        h("div", { class: "chips", role: "group", "aria-label": t("filter.label") }, chips))),
    h("div", { class: "lamps-layout" }, h("div", { class: "lamp-column" }, sections, empty), status.card));
  mount(container, view);

  function roomKey(device) {
    return roomOf(device) ?? "";
  }

  function build() {
    tiles.clear();
    favTiles.clear();
    rooms.clear();
    const devices = [...state.devices.values()].sort((a, b) => collator.compare(a.name, b.name) || collator.compare(a.id, b.id));
    const favs = new Set(favourites());
    const out = [];
    const favDevices = devices.filter((d) => favs.has(d.id));
    if (favDevices.length) {
      const grid = h("div", { class: "grid" });
      for (const d of favDevices) {
        const tile = createTile(d.id, { showRoom: true });
        favTiles.set(d.id, tile);
        grid.append(tile.el);
      }
      out.push(h("section", { class: "room room-favourites", "aria-labelledby": "room-fav" },
        h("div", { class: "room-head" }, h("h2", { id: "room-fav" }, icons.star(), t("lamps.favourites"))), grid));
    }
    const byRoom = new Map();
    for (const d of devices) {
      const key = roomKey(d);
      if (!byRoom.has(key)) byRoom.set(key, []);
      byRoom.get(key).push(d);
    }
    const keys = [...byRoom.keys()].sort((a, b) => (a === "" ? 1 : b === "" ? -1 : collator.compare(a, b)));
    keys.forEach((key, index) => {
      const list = byRoom.get(key);
      const headingId = `room-${index}`;
      const grid = h("div", { class: "grid" });
      for (const d of list) {
        if (favs.has(d.id)) continue;
        const tile = createTile(d.id);
        tiles.set(d.id, tile);
        grid.append(tile.el);
      }
      const count = h("p", { class: "room-count" });
      const ids = list.map((d) => d.id);
      const anyControl = ids.some((id) => canControl(id));
      const button = anyControl ? h("button", {
        type: "button", class: "btn btn-small room-off", "aria-describedby": headingId,
        onclick: () => allOff(ids, key || t("lamps.noRoom")),
      }, t("lamps.roomAllOff")) : null;
      const section = h("section", { class: "room", "aria-labelledby": headingId, dataset: { room: key } },
        h("div", { class: "room-head" },
          h("h2", { id: headingId }, key ? h("span", { translate: "no" }, key) : t("lamps.noRoom")),
          count, button),
        grid);
      rooms.set(key, { section, count, button, ids, grid });
      out.push(section);
    });
    mount(sections, out);
    for (const key of rooms.keys()) paintRoom(key);
    applyFilter();
    status.paint();
  }

  function paintRoom(key) {
    const room = rooms.get(key);
    if (!room) return;
    const lit = room.ids.filter((id) => isOn(id)).length;
    setText(room.count, t("lamps.roomCount", { n: formatNumber(lit), m: formatNumber(room.ids.length) }));
    if (room.button) room.button.disabled = allOffTargets(room.ids).length === 0;
  }

  function matches(id) {
    const d = state.devices.get(id);
    if (filter === "on" && !(isOn(id) && lampState(id) !== "offline")) return false;
    if (filter === "offline" && lampState(id) !== "offline") return false;
    if (!query.trim()) return true;
    const q = fold(query.trim());
    return fold(d.name).includes(q) || fold(roomOf(d) ?? t("lamps.noRoom")).includes(q);
  }

  function applyFilter() {
    let shown = 0;
    for (const [id, tile] of [...tiles, ...favTiles]) {
      const ok = matches(id);
      tile.el.hidden = !ok;
      if (ok) shown += 1;
    }
    for (const room of rooms.values()) {
      room.section.hidden = ![...room.grid.children].some((el) => !el.hidden);
    }
    const favSection = sections.querySelector(".room-favourites");
    if (favSection) favSection.hidden = ![...favTiles.values()].some((tile) => !tile.el.hidden);
    if (state.devices.size === 0) {
      mount(empty, t(isAdmin() ? "lamps.emptyAdmin" : "lamps.emptyMember"));
      empty.hidden = false;
    } else if (shown === 0) {
      mount(empty, t("lamps.noMatch"));
      empty.hidden = false;
    } else empty.hidden = true;
  }

  function updateLamp(id) {
    tiles.get(id)?.update();
    favTiles.get(id)?.update();
    const d = state.devices.get(id);
    if (d) paintRoom(roomKey(d));
    const tile = tiles.get(id) || favTiles.get(id);
    if (tile && (filter !== "all")) tile.el.hidden = !matches(id);
    status.paint();
  }

  build();
  offs.push(on("lamp", ({ id }) => updateLamp(id)));
  offs.push(on("lamps", build));
  offs.push(on("prefs", build));
  offs.push(on("stream", () => {
    for (const tile of [...tiles.values(), ...favTiles.values()]) tile.update();
    for (const key of rooms.keys()) paintRoom(key);
    status.paint();
  }));
  offs.push(on("reconnected", () => status.loadBroker()));
  const clock = setInterval(() => {
    for (const tile of [...tiles.values(), ...favTiles.values()]) tile.paintTime();
  }, 30000);

  let drawer = null;
  let openedInApp = false;
  // The lamp whose drawer is being loaded: two calls close together (the route and a re-render) must not both get
  // past the check while the module loads and open two drawers.
  let opening = null;
  async function showDrawer(args, inApp = false) {
    const id = args?.[0];
    if (!id) {
      opening = null;
      drawer?.close();
      drawer = null;
      return;
    }
    if (drawer?.id === id || opening === id) return;
    drawer?.close();
    drawer = null;
    if (!state.devices.has(id)) {
      location.replace("#/lampu");
      return;
    }
    openedInApp = inApp;
    opening = id;
    const module = await import("./history.js");
    if (opening !== id) return;
    opening = null;
    drawer = module.openHistory(id, () => {
      drawer = null;
      // Closing the drawer is "Back" when it was opened from the grid, else a replace (no leaving the app).
      if (!location.hash.startsWith("#/lampu/")) return;
      if (openedInApp) history.back();
      else location.replace("#/lampu");
    });
  }
  showDrawer(rest);
  live = { showDrawer };

  return () => {
    for (const off of offs) off();
    clearInterval(clock);
    opening = null;
    drawer?.close();
    drawer = null;
    live = null;
  };
}

let live = null;
/** Sub-route change inside #/lampu: open or close the history drawer without rebuilding the grid. */
export function update(rest) {
  live?.showDrawer(rest, true);
}
