/* Timers and randomness, passed in so the transport and the resend queue can be tested on a fake clock.
 * Wrapped in arrows: browsers refuse a setTimeout called as a method of another object. */

export const CLOCK = {
  later: (fn, ms) => setTimeout(fn, ms),
  cancel: (id) => clearTimeout(id),
  random: () => Math.random(),
};
