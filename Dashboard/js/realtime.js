// The realtime stream: EventSource on /api/v1/realtime/stream with resume (Last-Event-ID: the browser sends it on
// its own retries; a fresh EventSource carries it as ?lastEventId=), a watchdog (no frame within two ping
// intervals → every tile `stale` and the banner), our own backoff 1 → 10 s, and an immediate reconnect when the
// page becomes visible again, is restored from the back/forward cache, or the network returns. Every (re)connect
// first re-fetches /api/v1/status, which also refreshes an expired session before the stream is opened.
import { get } from "./api.js";
import { state, applyStatus, applyLwt, setStream, emit } from "./store.js";
import { applyCommandFrame } from "./commands.js";

const STREAM = "/api/v1/realtime/stream";
const DEFAULT_PING_MS = 15000;
const BACKOFF = [1000, 2000, 4000, 8000, 10000];

let source = null;
let lastEventId = null;
let pingMs = DEFAULT_PING_MS;
let watchdog = null;
let retryTimer = null;
let attempt = 0;
let running = false;
let generation = 0;
let wasDown = false;
// Set when the server closed this tab's stream to make room for a newer one (STREAM_LIMIT: the session holds too
// many). Reconnecting at once would close another tab's stream, which would do the same, round and round; a
// parked tab waits until it is shown again, or retries slowly while it is the one being looked at.
let parked = false;
const PARKED_RETRY_MS = 30000;

/** Seeds every tile from GET /api/v1/status. */
export async function refreshStatus() {
  const list = await get("/api/v1/status");
  const now = Date.now();
  for (const s of list || []) applyStatus(s.deviceId, s, now, true);
}

function armWatchdog() {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => {
    // A silently dead stream (phones drop background connections without an error).
    down();
    reconnect(0);
  }, 2 * pingMs);
}

function down() {
  if (state.stream !== "down") wasDown = true;
  setStream("down");
}

function closeSource() {
  clearTimeout(watchdog);
  if (source) {
    source.onmessage = null;
    source.onerror = null;
    source.close();
    source = null;
  }
}

function handle(frame) {
  switch (frame.type) {
    case "hello":
      if (Number(frame.pingIntervalMs) > 0) pingMs = Number(frame.pingIntervalMs);
      attempt = 0;
      parked = false;
      setStream("live");
      if (wasDown) {
        wasDown = false;
        emit("reconnected");
      }
      break;
    case "status":
      applyStatus(frame.deviceId, frame.payload || {}, frame.ts, frame.payload?.reportSource === "snapshot");
      break;
    case "lwt": {
      const online = typeof frame.online === "boolean" ? frame.online : String(frame.payload).toUpperCase() === "ONLINE"
        ? true : String(frame.payload).toUpperCase() === "OFFLINE" ? false : null;
      applyLwt(frame.deviceId, online, frame.ts);
      break;
    }
    case "command":
      applyCommandFrame(frame);
      emit("command", frame);
      break;
    case "devices":
      emit("devices-changed");
      break;
    case "discovery":
      emit("discovery", frame);
      break;
    case "closed":
      if (frame.reason === "STREAM_LIMIT") {
        parked = true;
        closeSource();
        down();
        if (document.visibilityState === "visible") reconnect(PARKED_RETRY_MS);
      }
      break;
    default:
      break;
  }
}

async function open(myGeneration, fetchStatus = true) {
  if (fetchStatus) {
    try {
      await refreshStatus();
    } catch (error) {
      if (myGeneration !== generation) return;
      down();
      if (error.code === "SESSION_EXPIRED") return stop();
      return reconnect();
    }
  }
  if (myGeneration !== generation || !running) return;
  closeSource();
  const url = lastEventId ? `${STREAM}?lastEventId=${encodeURIComponent(lastEventId)}` : STREAM;
  const es = new EventSource(url);
  source = es;
  armWatchdog();
  es.onmessage = (event) => {
    if (source !== es) return;
    if (event.lastEventId) lastEventId = event.lastEventId;
    armWatchdog();
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    handle(frame);
  };
  es.onerror = () => {
    if (source !== es) return;
    // Our own backoff instead of the browser's fixed retry; the resume id goes along in the URL.
    closeSource();
    down();
    reconnect();
  };
}

/** Schedules a connect after the backoff step (or `delay`). */
function reconnect(delay) {
  if (!running) return;
  if (parked && delay === undefined) return;
  clearTimeout(retryTimer);
  const wait = delay ?? BACKOFF[Math.min(attempt, BACKOFF.length - 1)];
  attempt += 1;
  retryTimer = setTimeout(() => {
    generation += 1;
    open(generation);
  }, wait);
}

/** Closes the current stream and connects again at once (visibility, pageshow, online). */
export function reconnectNow() {
  if (!running) return;
  parked = false;
  clearTimeout(retryTimer);
  clearTimeout(watchdog);
  closeSource();
  generation += 1;
  open(generation);
}

function onVisibility() {
  if (document.visibilityState === "visible") reconnectNow();
}
function onPageShow(event) {
  if (event.persisted) reconnectNow();
}

export function start() {
  if (running) return;
  running = true;
  attempt = 0;
  parked = false;
  wasDown = false;
  setStream("connecting");
  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("pageshow", onPageShow);
  window.addEventListener("online", reconnectNow);
  generation += 1;
  // The caller has just loaded /status: open the stream straight away.
  open(generation, false);
}

export function stop() {
  running = false;
  clearTimeout(retryTimer);
  clearTimeout(watchdog);
  closeSource();
  lastEventId = null;
  document.removeEventListener("visibilitychange", onVisibility);
  window.removeEventListener("pageshow", onPageShow);
  window.removeEventListener("online", reconnectNow);
}
