// Preferences: language, theme and favourites. Stored on the server in the profile's `preferences` object
// (PATCH /api/v1/profile), mirrored in localStorage so the login page and the first paint already follow them.
import { patch } from "./api.js";
import { state, emit } from "./store.js";
import { setLanguage, currentLanguage } from "./i18n.js";

const LOCAL = "smartlamp.prefs";
const media = window.matchMedia("(prefers-color-scheme: dark)");

export function localPrefs() {
  try {
    return JSON.parse(localStorage.getItem(LOCAL) || "{}") || {};
  } catch {
    return {};
  }
}

function saveLocal(values) {
  try {
    localStorage.setItem(LOCAL, JSON.stringify({ ...localPrefs(), ...values }));
  } catch {
    /* private mode: the server copy is enough */
  }
}

/** Sets `<html data-theme>` to the resolved theme ("system" follows the OS, live). */
export function applyTheme(theme = state.prefs.theme || localPrefs().theme || "system") {
  const resolved = theme === "light" || theme === "dark" ? theme : media.matches ? "dark" : "light";
  document.documentElement.dataset.theme = resolved;
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", resolved === "dark" ? "#0b1533" : "#eef3fb");
}
media.addEventListener("change", () => applyTheme());

/** Adopts the server's preferences after login (missing keys keep the local choice). */
export async function adoptServerPrefs(profile) {
  const server = profile && typeof profile.preferences === "object" && profile.preferences !== null
    ? profile.preferences : null;
  state.serverPrefs = server !== null;
  const local = localPrefs();
  const favKey = `favourites.${state.viewer?.id}`;
  state.prefs = {
    language: server?.language || local.language || "id",
    theme: server?.theme || local.theme || "system",
    favourites: server ? (Array.isArray(server.favourites) ? server.favourites : []) : local[favKey] || [],
  };
  saveLocal({ language: state.prefs.language, theme: state.prefs.theme });
  applyTheme(state.prefs.theme);
  if (state.prefs.language !== currentLanguage()) await setLanguage(state.prefs.language);
}

async function store(values) {
  if (!state.viewer) return;
  if (state.serverPrefs) {
    await patch("/api/v1/profile", { preferences: values });
  } else if ("favourites" in values) {
    saveLocal({ [`favourites.${state.viewer.id}`]: values.favourites });
  }
}

export async function chooseLanguage(lang) {
  state.prefs.language = lang;
  saveLocal({ language: lang });
  await setLanguage(lang);
  await store({ language: lang });
}

export async function chooseTheme(theme) {
  state.prefs.theme = theme;
  saveLocal({ theme });
  applyTheme(theme);
  await store({ theme });
}

export async function toggleFavourite(id) {
  const list = state.prefs.favourites || [];
  const next = list.includes(id) ? list.filter((x) => x !== id) : [...list, id];
  const before = list;
  state.prefs.favourites = next;
  emit("prefs");
  try {
    await store({ favourites: next });
  } catch (error) {
    state.prefs.favourites = before;
    emit("prefs");
    throw error;
  }
}
