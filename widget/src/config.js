/* Where the widget talks to and for which tenant: from window.HandoffSettings, boot() options or the script tag. */

// read while the script runs: document.currentScript is null afterwards
const SCRIPT = document.currentScript || document.querySelector('script[data-key][src*="handoff.js"]');

export function resolveConfig(over) {
  const s = Object.assign({}, window.HandoffSettings, over);
  let base = s.baseUrl;
  if (!base && SCRIPT && SCRIPT.src) {
    // keep a path prefix when the server is mounted under one (https://x/support/widget/handoff.js)
    const u = new URL(SCRIPT.src, location.href), m = /^(.*)\/widget\/handoff\.js$/.exec(u.pathname);
    base = u.origin + (m ? m[1] : '');
  }
  return { key: s.key || (SCRIPT && SCRIPT.getAttribute('data-key')), base: String(base || location.origin).replace(/\/+$/, ''),
    name: s.name, email: s.email, language: s.language };
}
