/* One widget on the page. Its state lives in one object, `w`, that every module is handed; each module adds
 * its own operations to it (views.js: refresh, place, ...). This file wires them: frames to the transcript,
 * acks to the outbox, and the public open/close/identify/shutdown. */
import { createApi } from './api.js';
import { prefill } from './forms.js';
import { pickLang, translate } from './i18n.js';
import { createNotifier } from './notify.js';
import { clientId, createOutbox } from './outbox.js';
import { createPoller } from './poller.js';
import { createSession } from './session.js';
import { get, parse, put } from './storage.js';
import { createTranscript } from './transcript.js';
import { createTransport } from './transport.js';
import { createViews } from './views.js';

export function createWidget(cfg, emit) {
  const key = cfg.key, NS = 'handoff:' + key;
  const ac = new AbortController(), sig = { signal: ac.signal };
  const ident = Object.assign({}, parse(get(NS)));
  if (cfg.name) ident.name = cfg.name;
  if (cfg.email) ident.email = cfg.email;
  const w = {
    cfg, key, NS, ident, emit,
    lang: pickLang(cfg.language), settings: {}, staffOnline: false, conv: null,
    ready: false, shut: false, isOpen: false, readSent: 0, seenId: +get(NS + ':seen') || 0,
    ui: null, view: '', fuReason: '',
    fuState: get(NS + ':fu', true) || '', // per tab session: no nagging on every page
    t: (k, vars) => translate(w.lang, k, vars),
    api: createApi(cfg.base, ident),
    transcript: createTranscript(),
    saveIdent: () => put(NS, JSON.stringify(ident)),
    upsert, sendText, attach, markRead, onConversation, resetTranscript, open, close, toggle, shutdown,
  };
  w.transport = createTransport({
    url: () => cfg.base.replace(/^http/, 'ws') + '/ws/' + encodeURIComponent(ident.id),
    token: () => ident.token,
    lastId: w.transcript.lastId,
    onOpen() { w.poller.set(false); w.outbox.flush(); markRead(); w.refresh(); },
    onFrame,
    onClose() { w.outbox.disconnected(); w.refresh(); },
    renew: () => w.startSession(),
    fallback: (mode) => w.poller.set(mode),
  });
  w.poller = createPoller(w);
  w.outbox = createOutbox({
    transport: w.transport,
    polling: w.poller.mode,
    post: (m) => w.api('/webchat', { text: m.text, client_id: m.client_id, attachment_ids: m.attachment_ids }).then((r) => r.message_id),
    renew: () => w.startSession(),
    onAck,
    onFail: (m) => w.render(m),
  });
  w.startSession = createSession(w);
  const notifier = createNotifier(w);
  Object.assign(w, createViews(w));

  w.root.addEventListener('keydown', (e) => { if (e.key === 'Escape' && w.isOpen) { e.stopPropagation(); close(); } });
  for (const ev of ['click', 'keydown']) w.root.addEventListener(ev, notifier.unlockAudio);
  const mount = () => { if (!w.shut) document.body.append(w.host); };
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount, sig);
  w.refresh();

  window.addEventListener('storage', onStorage, sig);
  window.addEventListener('focus', notifier.stopFlash, sig);
  window.addEventListener('online', () => w.transport.online(), sig);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) { notifier.stopFlash(); markRead(); } }, sig);
  w.startSession();

  function onFrame(f) {
    const type = f.type;
    if (type === 'message') upsert(f.message);
    else if (type === 'ack') w.outbox.ack(f.client_id, f.message_id);
    else if (type === 'typing' && f.sender !== 'visitor') w.showTyping(f.user && f.user.name);
    else if (type === 'presence') { w.staffOnline = !!f.staff_online && !w.closedNow; w.refresh(); }
    else if (type === 'conversation') onConversation(f.conversation);
    else if (type === 'csat') import(cfg.base + '/widget/handoff-csat.js').then((m) => m.show(w, f.conversation_id), () => {});
    else if (type === 'error') {
      // without a client_id, blame the oldest message in flight
      const m = (f.client_id && w.transcript.byCid.get(f.client_id)) || w.outbox.inflight();
      if (m && m.id == null) w.outbox.fail(m, f.detail);
    }
  }

  // -- messages --
  function upsert(x) {
    if (!x || x.id == null) return;
    const [m, isNew] = w.transcript.merge(x);
    w.outbox.settle(m);
    if (m.sender === 'staff') w.hideTyping();
    w.place(m);
    if (isNew) added(m);
    w.refresh();
  }

  function onAck(m, id) {
    const isNew = m.id == null;
    if (w.transcript.acked(m, id)) { if (m._el) m._el.remove(); return; } // echoed without client_id first
    w.place(m);
    if (isNew) added(m);
  }

  function added(m) { // a message got its id: announce it once
    const pub = {};
    for (const k in m) if (k[0] !== '_') pub[k] = m[k];
    emit('message', pub);
    if (m.sender === 'staff' && m.id > w.seenId) notifier.notify(m.id);
    markRead();
  }

  function sendText(text, attachments) {
    text = text.trim();
    if (!text && !attachments) return false;
    const m = w.transcript.draft({ client_id: clientId(), sender: 'visitor', text, created_at: new Date().toISOString(),
      attachments, attachment_ids: attachments && attachments.map((a) => a.id) });
    w.place(m);
    if (w.conv) w.conv.status = 'open';
    put(NS + ':conv', String(Date.now())); // wakes tabs with no socket yet
    w.outbox.add(m);
    w.refresh();
    return true;
  }

  /** Upload the picked files with the visitor token, then send them as one message (up to 10). */
  async function attach(files) {
    const done = [], c = w.ui && w.ui.composer, list = [...files].slice(0, 10);
    if (c) c.setAttribute('aria-busy', 'true'); // uploading: dimmed until the files are sent
    try {
      for (const f of list) {
        const body = new FormData();
        body.append('file', f);
        done.push(await w.api('/api/v1/uploads', body));
      }
    } catch (e) { // shown as a message that was not sent, with the server's reason; Retry uploads the rest again
      w.place(w.transcript.draft({ client_id: clientId(), sender: 'visitor', text: '', _state: 'failed', _err: e.message,
        _files: list.slice(done.length) }));
    }
    if (c) c.removeAttribute('aria-busy');
    if (done.length) sendText('', done);
  }

  function resetTranscript() { // the server gave us a different visitor
    for (const m of w.transcript.msgs) if (m._el) m._el.remove();
    w.outbox.clear();
    w.transcript.reset();
    w.readSent = 0;
    w.conv = null;
    w.transport.drop();
  }

  function onConversation(c, fromSession) {
    const was = w.conv && w.conv.id === c.id && w.conv.escalated;
    w.conv = Object.assign({}, c);
    w.refresh();
    if (c.escalated && !was && c.status !== 'closed' && w.fuState !== 'done') {
      w.fuReason = 'escalated';
      if (w.isOpen && !fromSession) w.showView('followup', true);
    }
  }

  function markRead() {
    if (!w.isOpen || document.hidden || w.view !== 'chat') return;
    let newest = 0;
    for (const m of w.transcript.msgs) if (m.sender === 'staff' && m.id > newest) newest = m.id;
    if (newest > w.seenId) put(NS + ':seen', String((w.seenId = newest)));
    if (newest > w.readSent && w.transport.send({ type: 'read', message_id: newest })) w.readSent = newest;
    notifier.stopFlash();
    w.refresh();
  }

  function onStorage(e) {
    if (e.key === NS + ':seen') { w.seenId = Math.max(w.seenId, +e.newValue || 0); w.refresh(); }
    if (e.key === NS + ':conv' && w.ready && !w.poller.mode()) w.transport.connect();
  }

  // -- public --
  function open() {
    if (w.shut || w.isOpen) return;
    w.isOpen = true;
    w.build();
    w.wrap.classList.add('open');
    // a half-filled form stays; otherwise decide afresh (staff may have gone offline)
    if (w.view === 'chat' || w.fuState === 'done') w.chooseView(true); else w.focusView();
    if (w.ready) w.transport.connect();
    if (w.poller.mode()) w.poller.poll();
    markRead();
    w.refresh();
    emit('open');
  }

  function close() {
    if (!w.isOpen) return;
    const hadFocus = !!w.root.activeElement;
    w.isOpen = false;
    w.wrap.classList.remove('open');
    w.refresh();
    if (hadFocus) w.launcher.focus();
    emit('close');
  }

  function toggle() { if (w.isOpen) close(); else open(); }

  function identify(p) {
    let changed = false;
    // user_id/user_hash: the host's signed user id, passed to the session (verified identity)
    for (const k of ['name', 'email', 'user_id', 'user_hash']) {
      const v = p && p[k] != null && ('' + p[k]).trim();
      if (v && v !== ident[k]) { ident[k] = v; changed = true; }
    }
    if (!changed) return;
    w.saveIdent();
    if (w.ui) prefill(w);
    if (w.ready) w.startSession();
  }

  function shutdown() {
    if (w.shut) return;
    w.shut = true;
    ac.abort();
    w.transport.stop();
    w.poller.stop();
    w.hideTyping();
    w.outbox.disconnected();
    notifier.close();
    w.host.remove();
  }

  return { open, close, toggle, identify, shutdown };
}
