// A tiny DOM builder: h("button", {class: "x", onclick}, "text", child). Text always goes in as text nodes, never
// as HTML, so data (lamp names, server messages) can never become markup.
const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "style" && typeof value === "object") {
      Object.assign(el.style, value);
    } else if (key === "value") {
      el.value = value;
    } else if (key === "ref") {
      value(el);
    } else if (key in el && typeof value !== "string" && !(el instanceof SVGElement)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Builds an HTML element. `attrs` may be omitted. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) children.unshift(attrs);
  else if (attrs) apply(el, attrs);
  append(el, children);
  return el;
}

/** Builds an SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  if (attrs) apply(el, attrs);
  append(el, children);
  return el;
}

/** Replaces every child of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets an element's text if it differs (cheap on hot paths). */
export function setText(el, text) {
  const value = String(text);
  if (el.textContent !== value) el.textContent = value;
}

/** Sets or removes an attribute (false/null/undefined removes). */
export function attr(el, name, value) {
  if (value === false || value === null || value === undefined) el.removeAttribute(name);
  else {
    const text = value === true ? "" : String(value);
    if (el.getAttribute(name) !== text) el.setAttribute(name, text);
  }
}

let counter = 0;
/** A page-unique id for label/aria wiring. */
export function uid(prefix = "u") {
  counter += 1;
  return `${prefix}-${counter}`;
}
