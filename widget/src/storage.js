/* Web storage that never throws: storage can be disabled (privacy modes, sandboxed iframes). */

export function get(k, session) {
  try { return (session ? sessionStorage : localStorage).getItem(k); } catch (e) { return null; }
}

export function put(k, v, session) {
  try { (session ? sessionStorage : localStorage).setItem(k, v); } catch (e) { /* storage disabled */ }
}

export function parse(s) {
  try { return JSON.parse(s); } catch (e) { return null; }
}
