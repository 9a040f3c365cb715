/* The visitor session: POST /api/v1/widget/session with the widget key (and the stored visitor token, to stay
 * the same visitor), retried with backoff. It brings the tenant's settings, staff presence and the open
 * conversation. One request at a time: callers share the one in flight. */
import { pickLang } from './i18n.js';
import { get, parse } from './storage.js';

export function createSession(w) {
  let inFlight = null;
  const ident = w.ident;

  function start() {
    return inFlight || (inFlight = run().finally(() => { inFlight = null; }));
  }

  async function run(delay) {
    const stored = parse(get(w.NS)); // another tab may hold a newer identity
    if (stored && stored.id && stored.id !== ident.id) Object.assign(ident, stored);
    const body = { widget_key: w.key, name: ident.name, email: ident.email, user_id: ident.user_id, user_hash: ident.user_hash };
    if (ident.token) Object.assign(body, { visitor_id: ident.id, visitor_token: ident.token });
    let data;
    try {
      data = await w.api('/api/v1/widget/session', body, true);
    } catch (e) {
      if (w.shut) return;
      if (e.status === 404) { console.warn('[handoff] unknown widget key', w.key); return w.shutdown(); }
      // the business limits which sites may use its widget, and this is not one of them
      if (e.status === 403) { console.warn('[handoff] this site may not use widget', w.key); return w.shutdown(); }
      // a user_hash the server refuses: go on unverified
      if (e.status === 401 && ident.user_hash) {
        console.warn('[handoff] user_hash does not match user_id');
        delete ident.user_id; delete ident.user_hash;
        return run();
      }
      if (e.status === 401 && ident.token) {
        ident.id = ident.token = null;
        return run();
      }
      // a name or email the server refuses: drop it
      if (e.status === 422 && (ident.email || ident.name)) { delete ident[ident.email ? 'email' : 'name']; return run(); }
      delay = Math.min((delay || 1000) * 2, 30000);
      await new Promise((r) => setTimeout(r, delay));
      return w.shut ? undefined : run(delay);
    }
    if (w.shut) return;
    if (ident.id && ident.id !== data.visitor_id) w.resetTranscript();
    ident.id = data.visitor_id; ident.token = data.visitor_token;
    w.saveIdent();
    const settings = (w.settings = data.settings || {});
    w.closedNow = data.open_now === false; // outside business hours: the away message and the form
    w.staffOnline = !!data.staff_online;
    if (data.conversation) w.onConversation(data.conversation, true);
    const l = pickLang(w.cfg.language || settings.language), relabel = l !== w.lang;
    w.lang = l;
    w.theme(settings);
    if (w.ui && relabel) w.rebuild();
    w.refresh();
    if (w.ready) return;
    w.ready = true;
    w.emit('ready', { visitor_id: ident.id, staff_online: w.staffOnline, settings });
    // before the bubble is clicked only a live conversation needs the socket
    if (w.isOpen || (w.conv && w.conv.status !== 'closed') || w.transcript.msgs.length) w.transport.connect();
    if (w.isOpen && !w.transcript.msgs.length && !w.ui.input.value) w.chooseView(true);
  }

  return start;
}
