/* The conversation as this tab holds it: messages ordered by server id, with the ones not yet acknowledged
 * after them in the order they were written. Pure data: views.js draws it. */

const order = (x) => (x.id != null ? x.id : 1e15 + x._seq);

export function createTranscript() {
  const msgs = [], byId = new Map(), byCid = new Map();
  let seq = 0, lastId = 0;

  return {
    msgs, byCid,
    lastId: () => lastId,

    /** Move m to where it belongs; returns the message now after it, if any. */
    place(m) {
      const i = msgs.indexOf(m), k = order(m);
      if (i >= 0) msgs.splice(i, 1);
      let j = msgs.length;
      while (j > 0 && order(msgs[j - 1]) > k) j--;
      msgs.splice(j, 0, m);
      return msgs[j + 1];
    },

    /** A message the visitor just wrote, not yet placed or sent. */
    draft(fields) {
      const m = Object.assign({ _seq: seq++, _state: 'sending' }, fields);
      byCid.set(m.client_id, m);
      return m;
    },

    /** A message from the server (our own is matched by id or client_id); returns [message, first time with an id]. */
    merge(x) {
      let m = byId.get(x.id) || byCid.get(x.client_id); // our own, echoed to every tab
      const isNew = !m || m.id == null;
      m = Object.assign(m || { _seq: seq++ }, x, { _state: 'sent', _inflight: false });
      byId.set(m.id, m);
      if (m.client_id) byCid.set(m.client_id, m);
      if (m.id > lastId) lastId = m.id;
      return [m, isNew];
    },

    /** The server acknowledged m as `id`. Returns the message that already holds that id when m's echo came
     * first without its client_id; m is then dropped from the list in its favour. */
    acked(m, id) {
      const dup = byId.get(id);
      if (dup && dup !== m) {
        msgs.splice(msgs.indexOf(m), 1);
        byCid.set(m.client_id, dup);
        return dup;
      }
      m.id = id; m._state = 'sent';
      byId.set(id, m);
      return null;
    },

    reset() {
      msgs.length = lastId = 0;
      byId.clear(); byCid.clear();
    },
  };
}
