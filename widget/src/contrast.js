/* WCAG 2.x colour contrast, and the colours the widget draws with the tenant's brand colour. The same rule as
 * the admin app's Settings page, which shows the tenant what the widget will do with their colour:
 *   1. white text when contrast(white, background) >= 4.5;
 *   2. otherwise near-black text (#111111) when contrast(#111111, background) >= 4.5;
 *   3. otherwise adjust the background in steps of 1%: at step n (n = 1..100) first mix it n% toward black and
 *      use white text if that reaches 4.5, then mix it n% toward white and use #111111 if that reaches 4.5.
 *      The first step that works wins (darkening first on a tie); step 100 is pure black, so it ends.
 * Ratios are compared unrounded. Mixing is per sRGB channel, rounded to the nearest integer. */

export const AA_NORMAL = 4.5; // WCAG AA minimum for normal text
export const WHITE = '#ffffff';
export const NEAR_BLACK = '#111111';
const BLACK = [0, 0, 0], WHITE_RGB = [255, 255, 255];

/** `#rgb` or `#rrggbb` (any case) as [r, g, b] in 0..255, or null when it is not such a colour. */
export function parseHex(value) {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value).trim());
  if (!m) return null;
  const hex = m[1].length === 3 ? m[1].replace(/./g, '$&$&') : m[1], n = parseInt(hex, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function toHex(rgb) {
  return '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
}

function rgbOf(color) {
  if (typeof color !== 'string') return color;
  const rgb = parseHex(color);
  if (!rgb) throw new RangeError('not a #rgb or #rrggbb colour: ' + JSON.stringify(color));
  return rgb;
}

/** WCAG relative luminance: 0 for black, 1 for white. */
export function relativeLuminance(color) {
  const [r, g, b] = rgbOf(color).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white); order does not matter. */
export function contrastRatio(a, b) {
  const x = relativeLuminance(a), y = relativeLuminance(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

/** `rgb` moved `amount` (0..1) of the way toward `target`, per channel, rounded. */
export function mix(rgb, target, amount) {
  return rgb.map((c, i) => Math.round(c + (target[i] - c) * amount));
}

/** {text, background, adjusted}: the text colour on `background` and the background to draw it on (the given
 * colour as #rrggbb, or the adjusted one; see the rule above). Throws RangeError for a non-colour. */
export function readableColors(background) {
  const bg = rgbOf(background);
  const ok = (text, rgb) => contrastRatio(text, rgb) >= AA_NORMAL;
  const pick = (text, rgb, adjusted) => ({ text, background: toHex(rgb), adjusted });
  if (ok(WHITE, bg)) return pick(WHITE, bg, false);
  if (ok(NEAR_BLACK, bg)) return pick(NEAR_BLACK, bg, false);
  for (let step = 1; step <= 100; step++) {
    const darker = mix(bg, BLACK, step / 100);
    if (ok(WHITE, darker)) return pick(WHITE, darker, true);
    const lighter = mix(bg, WHITE_RGB, step / 100);
    if (ok(NEAR_BLACK, lighter)) return pick(NEAR_BLACK, lighter, true);
  }
  return pick(WHITE, BLACK, true); // unreachable: step 100 darkens to black, on which white reaches 21:1
}

/** The colour itself, as #rrggbb, when it reaches 4.5:1 on white; otherwise it darkened 1% at a time until it
 * does: what the widget uses for its brand-coloured focus rings and field borders on the white panel. */
export function onWhite(color) {
  const rgb = rgbOf(color);
  for (let step = 0; step < 100; step++) {
    const darker = mix(rgb, BLACK, step / 100);
    if (contrastRatio(WHITE, darker) >= AA_NORMAL) return toHex(darker);
  }
  return '#000000';
}
