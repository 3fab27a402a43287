// Shown when the server cannot be reached at start (also when the PWA shell starts offline): say so, offer retry.
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { icons } from "../icons.js";

export function render(root, { retry }) {
  const button = h("button", { type: "button", class: "btn btn-primary", onclick: () => { button.disabled = true; retry(); } }, t("offline.retry"));
  mount(root, h("div", { class: "auth-page" },
    h("main", { class: "auth-main", id: "main" },
      h("div", { class: "auth-brand" }, icons.bulb(), h("span", { translate: "no" }, "SmartLamp")),
      h("div", { class: "card glass auth-card offline-card", role: "alert" },
        icons.wifiOff(),
        h("h1", {}, t("offline.title")),
        h("p", {}, t("offline.body")),
        button))));
  button.focus();
}
