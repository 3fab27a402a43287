// Window schedules as the dashboard edits them (upstream-spec §11.4, R4): one row with cron `* * * * * <dow>`,
// window start/end in seconds of the local day (end exclusive), an enforcement interval in seconds, a time zone.
// Everything else is "advanced" (a raw cron). Also the plain-language sentence and the ON/OFF overlap check.
import { t, formatClock } from "./i18n.js";

/** Monday first, as people read a week; cron numbers (Sun = 0). */
export const WEEK = [1, 2, 3, 4, 5, 6, 0];
export const PRESETS = { everyday: [0, 1, 2, 3, 4, 5, 6], weekdays: [1, 2, 3, 4, 5], weekend: [6, 0] };
export const ZONES_FIRST = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "UTC"];
const ABBR = { "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT", UTC: "UTC" };

/** Every time zone: the Indonesian ones and UTC first, then every IANA zone the browser knows. */
export function timeZones() {
  let all = [];
  try {
    all = Intl.supportedValuesOf("timeZone");
  } catch {
    all = [];
  }
  return [...ZONES_FIRST, ...all.filter((z) => !ZONES_FIRST.includes(z))];
}

export function zoneLabel(zone) {
  return ABBR[zone] || zone;
}

/** The cron day-of-week field for a set of days: `*` for all seven, else Mon→Sun order (`1,6,0`). */
export function dowField(days) {
  const set = new Set(days);
  if (set.size === 7) return "*";
  return WEEK.filter((d) => set.has(d)).join(",");
}

/** Days from a cron day-of-week field (lists, ranges, 7 = Sunday, names); null when not understood. */
export function parseDow(field) {
  if (field === "*" || field === "?") return [...PRESETS.everyday];
  const names = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
  const out = new Set();
  for (const part of field.toLowerCase().split(",")) {
    const [a, b] = part.split("-");
    const num = (x) => (x in names ? names[x] : /^\d$/.test(x) ? Number(x) % 7 : NaN);
    const from = num(a);
    const to = b === undefined ? from : num(b);
    if (Number.isNaN(from) || Number.isNaN(to)) return null;
    if (b !== undefined && Number(b) === 7) {
      for (let d = from; d <= 6; d += 1) out.add(d);
      out.add(0);
      continue;
    }
    for (let d = from; d <= to; d += 1) out.add(d % 7);
  }
  return [...out];
}

/** A schedule row as a window definition, or null when it is an advanced (cron) schedule. */
export function asWindow(schedule) {
  const { windowStartMinute: start, windowEndMinute: end, enforceEveryMinute: every, cron } = schedule;
  if (start == null || end == null || every == null) return null;
  const fields = String(cron).trim().split(/\s+/);
  const everyMinute = fields.length === 5 && fields.slice(0, 4).every((f) => f === "*");
  const everySecond = fields.length === 6 && fields.slice(0, 5).every((f) => f === "*");
  if (!everyMinute && !everySecond) return null;
  const days = parseDow(fields[fields.length - 1]);
  if (!days) return null;
  return { days, start, end, every };
}

export function windowCron(days) {
  return `* * * * * ${dowField(days)}`;
}

/** "setiap hari", "setiap hari kerja", "setiap akhir pekan" or "setiap Sen, Rab, Jum". */
export function daysText(days) {
  const key = dowField(days);
  if (key === "*") return t("days.everyday");
  if (key === "1,2,3,4,5") return t("days.weekdays");
  if (key === "6,0") return t("days.weekend");
  return t("days.list", { days: WEEK.filter((d) => days.includes(d)).map((d) => t(`day.short.${d}`)).join(", ") });
}

export function intervalText(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/** "Lampu Teras menyala setiap hari kerja, 18.00–23.00 WIB". */
export function sentence(lampName, action, window, zone) {
  return t(action === "ON" ? "sched.sentenceOn" : "sched.sentenceOff", {
    lamp: lampName, days: daysText(window.days), from: formatClock(window.start), until: formatClock(window.end), zone: zoneLabel(zone),
  });
}

/** Minute ranges in a week covered by a window (handles windows that cross midnight). */
function weekRanges(window) {
  const ranges = [];
  const DAY = 86400;
  for (const d of window.days) {
    const base = ((d + 6) % 7) * DAY; // Monday = 0
    if (window.start < window.end) ranges.push([base + window.start, base + window.end]);
    else {
      ranges.push([base + window.start, base + DAY]);
      const next = (base + DAY) % (7 * DAY);
      ranges.push([next, next + window.end]);
    }
  }
  return ranges;
}

/** Whether two windows share any instant of the week. */
export function overlaps(a, b) {
  for (const [s1, e1] of weekRanges(a)) for (const [s2, e2] of weekRanges(b)) if (s1 < e2 && s2 < e1) return true;
  return false;
}

/** A run's reason in words ("MISSED" → "terlewat: …"). */
export function reasonText(run) {
  const r = run?.reason || run?.lastRunReason;
  if (!r) {
    if (run?.ackStatus === "ACKED") return t("reason.acked");
    if (run?.ackStatus === "TIMEOUT") return t("reason.ackTimeout");
    return "";
  }
  const known = ["MISSED", "OWNER_INACTIVE", "OWNER_NOT_PERMITTED", "DEVICE_NOT_FOUND", "CANCELLED", "ABANDONED", "CLAIMED"];
  if (known.includes(r)) return t(`reason.${r}`);
  if (/^broker unavailable/i.test(r)) return t("reason.broker");
  if (/^ERROR/i.test(r)) return t("reason.error");
  if (/timeout/i.test(r)) return t("reason.ackTimeout");
  return t("reason.other");
}
