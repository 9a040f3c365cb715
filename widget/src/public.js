/* window.Handoff: Handoff('open') or Handoff.open(), event listeners, boot/shutdown. It outlives one widget's
 * shutdown and boot, and replays the calls a stub queued before the script loaded. */
import { resolveConfig } from './config.js';
import { createWidget } from './widget.js';

export function install(W) {
  let current = null, listeners = {}, readyInfo = null;
  function emit(ev, arg) {
    if (ev === 'ready') readyInfo = arg;
    for (const fn of (listeners[ev] || []).slice()) {
      try { fn(arg); } catch (e) { console.error('[handoff]', e); }
    }
  }
  const call = (name) => (...args) => current && current[name](...args);
  function Handoff(method, ...args) { return typeof Handoff[method] === 'function' ? Handoff[method](...args) : undefined; }
  Object.assign(Handoff, {
    _loaded: true,
    open: call('open'), close: call('close'), toggle: call('toggle'), identify: call('identify'),
    on(ev, fn) {
      (listeners[ev] = listeners[ev] || []).push(fn);
      if (ev === 'ready' && readyInfo) setTimeout(() => fn(readyInfo));
      return () => Handoff.off(ev, fn);
    },
    off(ev, fn) { listeners[ev] = (listeners[ev] || []).filter((f) => f !== fn); },
    boot(opts) {
      if (current) current.shutdown();
      readyInfo = null;
      const cfg = resolveConfig(opts);
      current = cfg.key ? createWidget(cfg, emit) : null;
      if (!current) console.warn('[handoff] no widget key: set data-key on the script tag');
    },
    shutdown() {
      if (current) current.shutdown();
      current = readyInfo = null;
      listeners = {};
    },
  });

  // calls queued before the script loaded, by a stub like
  // window.Handoff = window.Handoff || function () { (Handoff.q = Handoff.q || []).push(arguments); };
  const queued = [...((W.Handoff && W.Handoff.q) || [])].map((a) => [...a]);
  W.Handoff = Handoff;
  if (!queued.some((a) => a[0] === 'boot')) Handoff.boot();
  for (const a of queued) Handoff(...a);
}
