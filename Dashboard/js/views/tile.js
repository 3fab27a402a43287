// One lamp tile: bulb, name (a link to its history), room, state in words with the last change, signal bars, and
// the control: a switch (role="switch", aria-checked = the device-reported state) for on/off, two buttons for
// unknown, disabled while offline or stale, aria-busy while pending, nothing for monitoring-only lamps.
import { h, mount, setText, attr } from "../dom.js";
import { t, formatRelative, formatTime, formatFull } from "../i18n.js";
import { icons, signalBars } from "../icons.js";
import { state, lampState, canControl, permissionOf, isAdmin, roomOf, favourites } from "../store.js";
import { switchLamp } from "../commands.js";
import { toggleFavourite } from "../prefs.js";
import { toast, errorText } from "../ui.js";

const STATE_ICON = { on: icons.bulb, off: icons.bulb, unknown: icons.question, offline: icons.wifiOff, pending: icons.hourglass, stale: icons.alert };

function domId(id) {
  return `lamp-${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export function createTile(id, { showRoom = false } = {}) {
  const device = state.devices.get(id);
  const nameId = `${domId(id)}-name${showRoom ? "-fav" : ""}`;
  const nameLink = h("a", { href: `#/lampu/${encodeURIComponent(id)}`, id: nameId, class: "tile-name", translate: "no" }, device.name);
  const stateIcon = h("span", { class: "state-icon", "aria-hidden": "true" });
  const stateWord = h("span", { class: "state-word" });
  const timeEl = h("time", {});
  let showAbsolute = false;
  const timeButton = h("button", {
    type: "button", class: "time-toggle", hidden: true,
    onclick: () => {
      showAbsolute = !showAbsolute;
      paintTime();
    },
  }, timeEl);
  const signal = h("span", { class: "signal", hidden: true });
  const sub = [];
  const room = roomOf(device);
  if (showRoom) sub.push(h("span", { class: "tile-room", translate: "no" }, room ?? t("lamps.noRoom")));
  if (!isAdmin()) sub.push(h("span", { class: ["badge", `perm-${permissionOf(id)}`] }, t(`perm.${permissionOf(id)}`)));
  if (state.setup?.demoDevices?.includes(id)) sub.push(h("span", { class: "badge badge-demo" }, t("lamps.simulated")));
  const favButton = h("button", {
    type: "button", class: "icon-btn fav", "aria-pressed": "false", "aria-label": t("lamps.favourite"), "aria-describedby": nameId,
    onclick: () => toggleFavourite(id).catch((e) => toast(errorText(e), { kind: "error" })),
  }, icons.star());
  const control = h("div", { class: "tile-control" });
  const el = h("article", { class: "tile", dataset: { id }, "aria-labelledby": nameId },
    h("div", { class: "tile-inner" },
      h("span", { class: "bulb", "aria-hidden": "true" }, icons.bulb()),
      h("div", { class: "tile-body" },
        h("div", { class: "tile-head" }, h("h3", { class: "tile-title" }, nameLink), favButton),
        sub.length ? h("p", { class: "tile-sub" }, sub) : null,
        h("p", { class: "tile-state" }, stateIcon, stateWord, timeButton, signal)),
      control));

  let controlKind = null;
  let switchButton = null;
  let switchLabel = null;
  let unknownGroup = null;

  function buildControl(kind) {
    controlKind = kind;
    el.classList.toggle("has-choice", kind === "unknown");
    switchButton = switchLabel = unknownGroup = null;
    if (kind === "switch") {
      switchLabel = h("span", { class: "switch-label", "aria-hidden": "true" });
      switchButton = h("button", {
        type: "button", role: "switch", class: "switch", "aria-labelledby": nameId, "aria-checked": "false",
        onclick: () => {
          const s = lampState(id);
          if (s !== "on" && s !== "off") return;
          switchLamp(id, s === "on" ? "OFF" : "ON");
        },
      }, h("span", { class: "switch-track" }, switchLabel, h("span", { class: "switch-thumb" })));
      mount(control, switchButton);
    } else if (kind === "unknown") {
      const b = (action, label) => h("button", {
        type: "button", class: ["btn", "btn-small", action === "ON" ? "btn-on" : "btn-off"], dataset: { action },
        onclick: () => switchLamp(id, action),
      }, t(label));
      unknownGroup = h("div", { class: "unknown-buttons", role: "group", "aria-labelledby": nameId }, b("ON", "lamps.turnOn"), b("OFF", "lamps.turnOff"));
      mount(control, unknownGroup);
    } else {
      mount(control, h("span", { class: "badge badge-readonly" }, t("lamps.readOnly")));
    }
  }

  function paintTime() {
    const s = state.status.get(id);
    const current = lampState(id);
    const at = current === "offline" ? s?.offlineSince : s?.updatedAt;
    if (current === "offline" || at == null) {
      timeButton.hidden = true;
      return;
    }
    timeButton.hidden = false;
    attr(timeEl, "datetime", new Date(at).toISOString());
    attr(timeButton, "title", formatFull(at));
    setText(timeEl, showAbsolute ? formatFull(at) : formatRelative(at));
  }

  function update() {
    const s = state.status.get(id);
    const current = lampState(id);
    const controllable = canControl(id);
    el.dataset.state = current;
    attr(el, "aria-busy", current === "pending" ? "true" : false);
    let words;
    if (current === "offline") words = s?.offlineSince ? t("state.offlineSince", { time: formatTime(s.offlineSince) }) : t("state.offline");
    else words = t(`state.${current}`);
    setText(stateWord, words);
    mount(stateIcon, STATE_ICON[current]());
    paintTime();
    if (s?.rssi != null && s.rssi > 0) {
      const { svg, level } = signalBars(s.rssi);
      mount(signal, svg, h("span", { class: "sr-only" }, t(`signal.${level}`)));
      attr(signal, "title", t("signal.title", { n: s.rssi }));
      signal.hidden = false;
    } else signal.hidden = true;
    const reported = s?.power;
    const kind = !controllable ? "none" : reported === "ON" || reported === "OFF" || current === "offline" || current === "stale" ? "switch"
      : current === "pending" && controlKind === "switch" ? "switch" : "unknown";
    if (kind !== controlKind) buildControl(kind);
    if (switchButton) {
      attr(switchButton, "aria-checked", reported === "ON" ? "true" : "false");
      switchButton.disabled = current === "offline" || current === "stale";
      attr(switchButton, "aria-busy", current === "pending" ? "true" : false);
      const pending = state.pending.get(id);
      switchButton.dataset.target = pending ? pending.action.toLowerCase() : "";
      setText(switchLabel, t(reported === "ON" ? "switch.on" : "switch.off"));
    }
    if (unknownGroup) {
      attr(unknownGroup, "aria-busy", current === "pending" ? "true" : false);
      for (const b of unknownGroup.querySelectorAll("button")) {
        b.disabled = current === "stale" || current === "offline";
        // Pending ignores taps but keeps focus where it was (a disabled button would drop it).
        attr(b, "aria-disabled", current === "pending" ? "true" : false);
      }
    }
    const fav = favourites().includes(id);
    attr(favButton, "aria-pressed", fav ? "true" : "false");
  }

  update();
  return { el, update, paintTime };
}
