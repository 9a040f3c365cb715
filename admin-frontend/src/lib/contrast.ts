// WCAG 2.x colour contrast, and the rule that picks the widget's text colour on the tenant's brand colour.
//
// The rule (the widget applies the same one):
//   1. white text when contrast(white, background) >= 4.5;
//   2. otherwise near-black text (#111111) when contrast(#111111, background) >= 4.5;
//   3. otherwise adjust the background in steps of 1%: at step n (n = 1..100) first mix it n% toward black
//      and use white text if that reaches 4.5, then mix it n% toward white and use #111111 if that reaches
//      4.5. The first step that works wins (darkening first on a tie); step 100 is pure black, so it ends.
// Ratios are compared unrounded. Mixing is per sRGB channel, rounded to the nearest integer.

/** The WCAG AA minimum for normal text. */
export const AA_NORMAL = 4.5;
export const WHITE = '#ffffff';
export const NEAR_BLACK = '#111111';

export type Rgb = readonly [number, number, number];

/** `#rgb` or `#rrggbb` (any case) as [r, g, b] in 0..255, or null when it is not such a colour. */
export function parseHex(value: string): Rgb | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!m) return null;
  let hex = m[1]!;
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  const n = parseInt(hex, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function toHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function rgbOf(color: string | Rgb): Rgb {
  if (typeof color !== 'string') return color;
  const rgb = parseHex(color);
  if (!rgb) throw new RangeError(`not a #rgb or #rrggbb colour: ${JSON.stringify(color)}`);
  return rgb;
}

/** WCAG relative luminance: 0 for black, 1 for white. */
export function relativeLuminance(color: string | Rgb): number {
  const [r, g, b] = rgbOf(color).map((c) => {
    const s = c / 255;
    // WCAG 2.2 writes 0.04045 (older texts 0.03928): the same for every 8-bit value.
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white); order does not matter. */
export function contrastRatio(a: string | Rgb, b: string | Rgb): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** `color` moved `amount` (0..1) of the way toward `target`, per channel, rounded. */
export function mix(color: Rgb, target: Rgb, amount: number): Rgb {
  return color.map((c, i) => Math.round(c + (target[i]! - c) * amount)) as unknown as Rgb;
}

export interface ReadableColors {
  /** The text colour: WHITE or NEAR_BLACK. */
  text: string;
  /** The background to draw it on: the given colour as #rrggbb, or the adjusted one. */
  background: string;
  /** True when the given colour had to be darkened or lightened. */
  adjusted: boolean;
}

/** The widget's text colour on `background` (see the rule at the top); throws RangeError for a non-colour. */
export function readableColors(background: string): ReadableColors {
  const bg = rgbOf(background);
  const white = rgbOf(WHITE);
  const dark = rgbOf(NEAR_BLACK);
  if (contrastRatio(WHITE, bg) >= AA_NORMAL) return { text: WHITE, background: toHex(bg), adjusted: false };
  if (contrastRatio(NEAR_BLACK, bg) >= AA_NORMAL) return { text: NEAR_BLACK, background: toHex(bg), adjusted: false };
  for (let step = 1; step <= 100; step += 1) {
    const darker = mix(bg, [0, 0, 0], step / 100);
    if (contrastRatio(white, darker) >= AA_NORMAL) return { text: WHITE, background: toHex(darker), adjusted: true };
    const lighter = mix(bg, [255, 255, 255], step / 100);
    if (contrastRatio(dark, lighter) >= AA_NORMAL) return { text: NEAR_BLACK, background: toHex(lighter), adjusted: true };
  }
  // Unreachable: step 100 darkens to black, on which white reaches 21:1.
  return { text: WHITE, background: '#000000', adjusted: true };
}

/** A ratio as people write it, to 2 decimals: 5.168 → "5.17:1", 21 → "21:1"; a failure never shows as 4.5. */
export function formatRatio(ratio: number): string {
  const rounded = Math.round(ratio * 100) / 100;
  const shown = ratio < AA_NORMAL && rounded >= AA_NORMAL ? 4.49 : rounded;
  return `${shown}:1`;
}
