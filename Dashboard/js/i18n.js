// Every visible string comes from a dictionary: `id` (default) or `en`. Dates and times go through Intl in id-ID
// (24 h, "18.02") or en-GB. `t("key", {n: 2})` fills `{n}` placeholders.
import id from "./i18n/id.js";

const dictionaries = { id };
const listeners = new Set();
let language = "id";
let dict = id;

export const LANGUAGES = ["id", "en"];

export function currentLanguage() {
  return language;
}

export function locale() {
  return language === "id" ? "id-ID" : "en-GB";
}

/** Loads (once) and switches to `lang`; `<html lang>` follows. Resolves when the dictionary is in place. */
export async function setLanguage(lang) {
  const next = LANGUAGES.includes(lang) ? lang : "id";
  if (!dictionaries[next]) dictionaries[next] = (await import(`./i18n/${next}.js`)).default;
  const changed = next !== language || !fmt;
  language = next;
  dict = dictionaries[next];
  document.documentElement.lang = next;
  if (changed) resetFormatters();
  for (const fn of listeners) fn(next);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The text for `key`; a missing key falls back to Indonesian, then shows the key (a bug the tests catch). */
export function t(key, vars) {
  let text = dict[key] ?? id[key] ?? key;
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return text;
}

/** Whether a key exists (for mapping server codes). */
export function has(key) {
  return key in dict || key in id;
}

let fmt = null;
// Built on first use and on a language change: Intl constructors are among the costliest calls at start.
function resetFormatters() {
  const loc = locale();
  fmt = {
    time: new Intl.DateTimeFormat(loc, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    dateTime: new Intl.DateTimeFormat(loc, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }),
    full: new Intl.DateTimeFormat(loc, { dateStyle: "full", timeStyle: "medium", hourCycle: "h23" }),
    day: new Intl.DateTimeFormat(loc, { weekday: "long", day: "numeric", month: "long" }),
    rel: new Intl.RelativeTimeFormat(loc, { numeric: "auto" }),
    number: new Intl.NumberFormat(loc),
    zoned: new Map(),
  };
}
const DAY = 86_400_000;

/** "18.02" today, else "Sen, 3 Des 18.02". */
export function formatTime(ms) {
  if (ms == null) return "";
  const d = new Date(ms);
  const now = new Date();
  if (now - d < DAY && d.getDate() === now.getDate()) return fmt.time.format(d);
  return fmt.dateTime.format(d);
}

export function formatDateTime(ms) {
  return ms == null ? "" : fmt.dateTime.format(new Date(ms));
}

export function formatFull(ms) {
  return ms == null ? "" : fmt.full.format(new Date(ms));
}

/** A date-time in a given IANA time zone ("Sen, 3 Des 18.00"). */
export function formatInZone(ms, timeZone) {
  let f = fmt.zoned.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(locale(), {
        weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
        timeZone,
      });
    } catch {
      f = fmt.dateTime;
    }
    fmt.zoned.set(timeZone, f);
  }
  return f.format(new Date(ms));
}

/** "2 menit yang lalu" / "2 minutes ago"; under a minute: "baru saja" from the dictionary. */
export function formatRelative(ms, now = Date.now()) {
  if (ms == null) return "";
  const diff = ms - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return t("time.justNow");
  const steps = [
    [3_600_000, 60_000, "minute"],
    [DAY, 3_600_000, "hour"],
    [7 * DAY, DAY, "day"],
    [Infinity, 7 * DAY, "week"],
  ];
  for (const [limit, unit, name] of steps) {
    if (abs < limit) return fmt.rel.format(Math.round(diff / unit), name);
  }
  return "";
}

/** A number in the current locale. */
export function formatNumber(n) {
  return fmt.number.format(n);
}

/** Two-digit clock text "18.00" (id) / "18:00" (en) from minutes of a day. */
export function formatClock(seconds) {
  const hh = String(Math.floor(seconds / 3600) % 24).padStart(2, "0");
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  return language === "id" ? `${hh}.${mm}` : `${hh}:${mm}`;
}
