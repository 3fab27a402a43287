// Inline SVG icons (no icon font, no other origin). Each is decorative: aria-hidden, the words carry meaning.
import { s } from "./dom.js";

const built = new Map();
function icon(name, ...children) {
  return s("svg", { class: `icon icon-${name}`, viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" }, ...children);
}

/** Builds an icon once, then hands out clones (200 tiles × 4 icons stay cheap). */
function cached(name, make) {
  return () => {
    let el = built.get(name);
    if (!el) {
      el = make();
      built.set(name, el);
    }
    return el.cloneNode(true);
  };
}

const path = (d, extra = {}) => s("path", { d, ...extra });

export const icons = {
  bulb: cached("bulb", () =>
    icon(
      "bulb",
      path("M9 18h6M10 21h4M12 3a6 6 0 0 0-3.6 10.8c.7.6 1.1 1.4 1.1 2.2V16h5v-.1c0-.8.4-1.6 1.1-2.2A6 6 0 0 0 12 3z"),
    )),
  lamps: cached("lamps", () => icon("lamps", path("M9 18h6M10 21h4M12 3a6 6 0 0 0-3.6 10.8c.7.6 1.1 1.4 1.1 2.2V16h5v-.1c0-.8.4-1.6 1.1-2.2A6 6 0 0 0 12 3z"))),
  clock: cached("clock", () => icon("clock", s("circle", { cx: 12, cy: 12, r: 9 }), path("M12 7v5l3 2"))),
  history: cached("history", () => icon("history", path("M3 12a9 9 0 1 0 3-6.7L3 8"), path("M3 3v5h5"), path("M12 7v5l3 2"))),
  user: cached("user", () => icon("user", s("circle", { cx: 12, cy: 8, r: 4 }), path("M4 21c1-4 4.5-6 8-6s7 2 8 6"))),
  star: cached("star", () => icon("star", path("M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1L3.2 9.5l6.1-.9z"))),
  search: cached("search", () => icon("search", s("circle", { cx: 11, cy: 11, r: 7 }), path("M20 20l-4-4"))),
  power: cached("power", () => icon("power", path("M12 3v8"), path("M6.3 6.3a8 8 0 1 0 11.4 0"))),
  eye: cached("eye", () => icon("eye", path("M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z"), s("circle", { cx: 12, cy: 12, r: 3 }))),
  eyeOff: cached("eyeOff", () => icon("eye-off", path("M3 3l18 18"), path("M10.6 5.1A10 10 0 0 1 12 5c6.4 0 10 7 10 7a17 17 0 0 1-3.2 4.1M6.6 6.6C3.7 8.4 2 12 2 12s3.6 7 10 7a9.7 9.7 0 0 0 5.4-1.6"), path("M9.9 9.9a3 3 0 0 0 4.2 4.2"))),
  close: cached("close", () => icon("close", path("M6 6l12 12M18 6L6 18"))),
  wifiOff: cached("wifiOff", () => icon("wifi-off", path("M3 3l18 18"), path("M8.5 16.4a5 5 0 0 1 7 0M5 12.9a10 10 0 0 1 4-2.4M19 12.9a10 10 0 0 0-2.4-1.7M2 9a15 15 0 0 1 4.3-2.7M22 9a15 15 0 0 0-11-3.9"), s("circle", { cx: 12, cy: 20, r: 1 }))),
  check: cached("check", () => icon("check", path("M5 12l5 5 9-10"))),
  alert: cached("alert", () => icon("alert", path("M12 3l10 18H2z"), path("M12 10v4M12 17v.5"))),
  question: cached("question", () => icon("question", s("circle", { cx: 12, cy: 12, r: 9 }), path("M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6v.6M12 17v.5"))),
  hourglass: cached("hourglass", () => icon("hourglass", path("M7 3h10M7 21h10M8 3c0 5 8 5 8 9s-8 4-8 9M16 3c0 5-8 5-8 9"))),
  plus: cached("plus", () => icon("plus", path("M12 5v14M5 12h14"))),
  pause: cached("pause", () => icon("pause", path("M9 5v14M15 5v14"))),
  play: cached("play", () => icon("play", path("M7 5l12 7-12 7z"))),
  trash: cached("trash", () => icon("trash", path("M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"))),
  edit: cached("edit", () => icon("edit", path("M4 20h4L19 9l-4-4L4 16z"))),
  logout: cached("logout", () => icon("logout", path("M15 12H4M8 8l-4 4 4 4M14 4h6v16h-6"))),
  manage: cached("manage", () => icon("manage", s("circle", { cx: 12, cy: 12, r: 3 }), path("M12 2v3M12 19v3M2 12h3M19 12h3M5 5l2 2M17 17l2 2M5 19l2-2M17 7l2-2"))),
};

/** Signal bars for an RSSI in percent (Tasmota reports 0–100): 0–4 bars filled. */
export function signalBars(rssi) {
  const level = rssi >= 75 ? 4 : rssi >= 50 ? 3 : rssi >= 25 ? 2 : rssi > 0 ? 1 : 0;
  const svg = s("svg", { class: "icon bars", viewBox: "0 0 20 16", "aria-hidden": "true", focusable: "false" });
  for (let i = 0; i < 4; i += 1) {
    svg.append(s("rect", { x: i * 5, y: 12 - i * 4, width: 3, height: 4 + i * 4, rx: 1, class: i < level ? "on" : "off" }));
  }
  return { svg, level };
}
