// UI strings: English is the key, zh-CN is a dictionary (zh.js). t("Saved {what}", {what})
// fills {placeholders}. The language is chosen in the top bar and remembered.
import { ZH } from "./zh.js";

export const LANGS = [["en", "English"], ["zh-CN", "简体中文"]];

function pick() {
  const saved = localStorage.getItem("leanspec.lang");
  if (saved && LANGS.some(([c]) => c === saved)) return saved;
  return /^zh\b/i.test(navigator.language || "") ? "zh-CN" : "en";
}

export let lang = pick();
document.documentElement.lang = lang;

export function setLang(code) {
  localStorage.setItem("leanspec.lang", code);
  lang = code;
  document.documentElement.lang = code;
}

export function t(key, vars) {
  let s = lang === "zh-CN" ? ZH[key] ?? key : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// "1 spec" / "3 specs": English plural by a second key; Chinese has none.
export function tn(n, one, many, vars) {
  return t(n === 1 ? one : many, { n, ...(vars || {}) });
}

// Static strings in index.html: data-i18n (text), data-i18n-title / -placeholder / -label.
export function translateShell(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}
