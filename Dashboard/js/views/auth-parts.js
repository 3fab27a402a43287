// Pieces shared by the login and first-run pages: the centred glass card with the brand, the language switch,
// the password field with show/hide, and the demo notice naming the simulated lamps.
import { h, mount } from "../dom.js";
import { t, currentLanguage } from "../i18n.js";
import { icons } from "../icons.js";
import { chooseLanguage } from "../prefs.js";
import { toast, errorText } from "../ui.js";

export function passwordField(id, autocomplete) {
  const input = h("input", { id, type: "password", name: id, autocomplete, required: true, maxlength: 128 });
  const toggle = h("button", {
    type: "button", class: "icon-btn pw-toggle", "aria-pressed": "false", "aria-controls": id, "aria-label": t("login.showPassword"),
    onclick: () => {
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      toggle.setAttribute("aria-pressed", String(show));
      mount(toggle, show ? icons.eyeOff() : icons.eye());
    },
  }, icons.eye());
  return { input, toggle, wrap: h("div", { class: "pw-wrap" }, input, toggle) };
}

/**
 * After a 429: the submit button stays disabled while `message` counts down from Retry-After, then says
 * "try again". Returns a stop function.
 */
export function lockOut(submit, message, seconds) {
  let left = seconds;
  submit.disabled = true;
  const paint = () => mount(message, t("login.tooMany", { n: left }));
  paint();
  const timer = setInterval(() => {
    left -= 1;
    if (left > 0) return paint();
    clearInterval(timer);
    submit.disabled = false;
    mount(message, t("login.tryAgain"));
  }, 1000);
  return () => clearInterval(timer);
}

export function demoNotice(setup) {
  const list = setup.demoDevices || [];
  return h("aside", { class: "card demo-notice", "aria-labelledby": "demo-title" },
    h("h2", { id: "demo-title" }, t("demo.title")),
    h("p", {}, t("demo.body", { n: list.length })),
    list.length ? h("ul", { class: "demo-list" }, list.map((id) => h("li", { translate: "no" }, id))) : null);
}

export function authPage(root, form, aside) {
  const lang = h("button", {
    type: "button", class: "btn btn-ghost lang-btn", "aria-label": t("lang.switchLabel"),
    onclick: () => {
      chooseLanguage(currentLanguage() === "id" ? "en" : "id").catch((e) => toast(errorText(e), { kind: "error" }));
    },
  }, t("lang.switchShort"));
  mount(root, h("div", { class: "auth-page" },
    h("div", { class: "auth-top" }, lang),
    h("main", { class: "auth-main", id: "main" },
      h("div", { class: "auth-brand" }, icons.bulb(), h("span", { translate: "no" }, "SmartLamp")),
      h("div", { class: "card glass auth-card" }, form),
      aside)));
}
