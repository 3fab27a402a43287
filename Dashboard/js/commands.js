// Switching lamps. A toggle sends one command and leaves the tile pending until the device confirms it (an SSE
// `status` report or `command` ACKED frame); TIMEOUT, an error or silence reverts it with a message. "All off"
// goes out as one POST /api/v1/commands/batch.
import { post, get, randomId, ApiError } from "./api.js";
import { state, setPending, settle, canControl, lampState } from "./store.js";

/** How long a tile waits for the stream before asking the server about its command. */
export const CONFIRM_FALLBACK_MS = 12000;

function armFallback(id, requestId) {
  return setTimeout(async () => {
    const pending = state.pending.get(id);
    if (!pending || pending.requestId !== requestId) return;
    try {
      const command = await get(`/api/v1/commands/${encodeURIComponent(requestId)}`);
      if (state.pending.get(id)?.requestId !== requestId) return;
      if (command?.status === "ACKED") settle(id, "confirmed");
      else if (command?.status === "PUBLISHED") {
        // Still open on the server (long ack timeout): wait once more.
        state.pending.get(id).timer = armFallback(id, requestId);
      } else settle(id, "timeout");
    } catch (error) {
      settle(id, "error", error);
    }
  }, CONFIRM_FALLBACK_MS);
}

/** Sends ON/OFF to one lamp. Ignored while that lamp is pending, offline, stale or not controllable. */
export async function switchLamp(id, action) {
  const current = lampState(id);
  if (current === "pending" || current === "offline" || current === "stale" || !canControl(id)) return false;
  const requestId = randomId();
  setPending(id, { requestId, action, since: Date.now(), timer: armFallback(id, requestId) });
  try {
    const result = await post(
      "/api/v1/commands/execute",
      { deviceId: id, action, requestId },
      { idempotent: true },
    );
    if (state.pending.get(id)?.requestId !== requestId) return true;
    if (result?.status === "ACKED") settle(id, "confirmed");
    else if (result?.status === "TIMEOUT") settle(id, "timeout");
  } catch (error) {
    if (state.pending.get(id)?.requestId === requestId) settle(id, "error", error);
  }
  return true;
}

/** A realtime `command` frame: settles the matching pending tile. */
export function applyCommandFrame(frame) {
  const pending = state.pending.get(frame.deviceId);
  if (!pending || pending.requestId !== frame.requestId) return;
  if (frame.status === "ACKED") settle(frame.deviceId, "confirmed");
  else if (frame.status === "TIMEOUT") settle(frame.deviceId, "timeout");
  else if (frame.status === "FAILED") settle(frame.deviceId, "error", new ApiError(503, "BROKER_UNAVAILABLE"));
}

/** The lamps an "all off" touches: controllable, reachable, not already off. */
export function allOffTargets(ids) {
  return ids.filter((id) => {
    const s = lampState(id);
    return canControl(id) && (s === "on" || s === "unknown");
  });
}

/**
 * Sends one batch; every item's tile is pending until confirmed. Resolves to
 * {ok: [ids acked or published], failed: [{id, code}]}.
 */
export async function sendBatch(ids, action) {
  if (ids.length === 0) return { ok: [], failed: [] };
  const key = randomId();
  ids.forEach((id, index) => {
    const requestId = `${key}:${index}`;
    setPending(id, { requestId, action, since: Date.now(), batch: true, timer: armFallback(id, requestId) });
  });
  const items = ids.map((deviceId) => ({ deviceId, action }));
  const ok = [];
  const failed = [];
  try {
    const result = await post("/api/v1/commands/batch", { items, waitForAck: true }, { idempotent: key, timeoutMs: 70000 });
    (result?.items || []).forEach((item, index) => {
      const id = ids[index];
      const mine = state.pending.get(id)?.requestId === `${key}:${index}`;
      if (item.status === "ACKED") {
        ok.push(id);
        if (mine) settle(id, "confirmed");
      } else if (item.status === "PUBLISHED") {
        ok.push(id);
      } else {
        const code = item.status === "TIMEOUT" ? "TIMEOUT" : item.error?.code || item.status;
        failed.push({ id, code });
        if (mine) settle(id, item.status === "TIMEOUT" ? "timeout" : "error", new ApiError(0, code));
      }
    });
  } catch (error) {
    for (const id of ids) {
      failed.push({ id, code: error.code });
      if (state.pending.get(id)?.requestId?.startsWith(key)) settle(id, "error", error);
    }
  }
  return { ok, failed };
}
