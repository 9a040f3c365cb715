// The widget's copy of the brand-colour rule. The expected values are the admin app's own (its Settings page
// shows the tenant what the widget will do with their colour), so the two cannot drift apart unnoticed.
import { describe, expect, it } from 'vitest';
import {
  AA_NORMAL,
  contrastRatio,
  mix,
  NEAR_BLACK,
  onWhite,
  parseHex,
  readableColors,
  relativeLuminance,
  toHex,
  WHITE,
} from '../src/contrast.js';
// The admin app's copy (TypeScript, no imports), which its Settings page uses to show the tenant the result.
import * as admin from '../../admin-frontend/src/lib/contrast.ts';

const HEX3 = [];
for (const r of '0123456789abcdef') for (const g of '0123456789abcdef') for (const b of '0123456789abcdef') HEX3.push(`#${r}${g}${b}`);

describe('WCAG contrast math', () => {
  it('parses #rgb and #rrggbb in any case, and nothing else', () => {
    expect(parseHex('#2563EB')).toEqual([0x25, 0x63, 0xeb]);
    expect(parseHex(' #fa0 ')).toEqual([0xff, 0xaa, 0x00]);
    for (const bad of ['', '2563eb', '#12', '#1234', '#12345g', 'red', '#2563eb80']) expect(parseHex(bad)).toBeNull();
    expect(toHex([0, 15, 255])).toBe('#000fff');
  });

  it('computes relative luminance at the ends and for known colours', () => {
    expect(relativeLuminance('#000')).toBe(0);
    expect(relativeLuminance('#fff')).toBeCloseTo(1, 12);
    // Published values: sRGB mid grey #808080 is 0.2159; pure red, green and blue are their coefficients.
    expect(relativeLuminance('#808080')).toBeCloseTo(0.2159, 4);
    expect(relativeLuminance('#ff0000')).toBeCloseTo(0.2126, 12);
    expect(relativeLuminance('#00ff00')).toBeCloseTo(0.7152, 12);
    expect(relativeLuminance('#0000ff')).toBeCloseTo(0.0722, 12);
    // The linear segment of the sRGB curve (channel 10/255 is below the threshold).
    expect(relativeLuminance('#0a0a0a')).toBeCloseTo(10 / 255 / 12.92, 12);
  });

  it('computes contrast ratios, in either order', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 10);
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 10);
    expect(contrastRatio('#2563eb', '#2563eb')).toBe(1);
    // The classic AA boundary: #767676 on white passes, #777777 does not.
    expect(contrastRatio(WHITE, '#767676')).toBeCloseTo(4.54, 2);
    expect(contrastRatio(WHITE, '#777777')).toBeCloseTo(4.48, 2);
    expect(contrastRatio(WHITE, '#2563eb')).toBeCloseTo(5.17, 2);
    expect(contrastRatio(WHITE, '#ffff00')).toBeCloseTo(1.07, 2);
    expect(() => contrastRatio('#fff', 'blue')).toThrow(RangeError);
  });

  it('mixes per channel with rounding', () => {
    expect(mix([119, 119, 119], [0, 0, 0], 0.01)).toEqual([118, 118, 118]);
    expect(mix([10, 200, 255], [255, 255, 255], 0.5)).toEqual([133, 228, 255]);
    expect(mix([10, 200, 255], [0, 0, 0], 1)).toEqual([0, 0, 0]);
  });
});

describe('readableColors: the text colour on the brand colour', () => {
  it('uses white when white reaches 4.5:1', () => {
    expect(readableColors('#2563EB')).toEqual({ text: WHITE, background: '#2563eb', adjusted: false });
    expect(readableColors('#767676')).toEqual({ text: WHITE, background: '#767676', adjusted: false });
    expect(readableColors('#000')).toEqual({ text: WHITE, background: '#000000', adjusted: false });
  });

  it('uses #111111 when white fails and near-black reaches 4.5:1', () => {
    expect(readableColors('#ffff00')).toEqual({ text: NEAR_BLACK, background: '#ffff00', adjusted: false });
    expect(readableColors('#ffffff')).toEqual({ text: NEAR_BLACK, background: '#ffffff', adjusted: false });
    // White on #ff0000 is 4.0:1, the case the old brightness cutoff got wrong; #111111 reaches 4.7:1.
    expect(contrastRatio(WHITE, '#ff0000')).toBeLessThan(AA_NORMAL);
    expect(readableColors('#ff0000')).toEqual({ text: NEAR_BLACK, background: '#ff0000', adjusted: false });
    // #7c7c7c is just above the line for near-black (4.52:1), while white gets 4.2:1.
    expect(contrastRatio(WHITE, '#7c7c7c')).toBeLessThan(AA_NORMAL);
    expect(readableColors('#7c7c7c')).toEqual({ text: NEAR_BLACK, background: '#7c7c7c', adjusted: false });
  });

  it('darkens the background for white text when that is the smaller change', () => {
    // #777777: white 4.48, near-black 4.22; 1% darker is #767676, where white reaches 4.54.
    expect(contrastRatio(WHITE, '#777777')).toBeLessThan(AA_NORMAL);
    expect(contrastRatio(NEAR_BLACK, '#777777')).toBeLessThan(AA_NORMAL);
    expect(readableColors('#777777')).toEqual({ text: WHITE, background: '#767676', adjusted: true });
  });

  it('lightens the background for near-black text when that is the smaller change', () => {
    // #7b7b7b: white 4.23, near-black 4.46; 1% darker (#7a7a7a) is not enough for white, 1% lighter
    // (#7c7c7c) is enough for near-black.
    expect(contrastRatio(WHITE, '#7b7b7b')).toBeLessThan(AA_NORMAL);
    expect(contrastRatio(NEAR_BLACK, '#7b7b7b')).toBeLessThan(AA_NORMAL);
    expect(contrastRatio(WHITE, '#7a7a7a')).toBeLessThan(AA_NORMAL);
    expect(readableColors('#7b7b7b')).toEqual({ text: NEAR_BLACK, background: '#7c7c7c', adjusted: true });
  });

  it('prefers darkening when both directions work at the same step', () => {
    // #0082b4: at 2% white on #007fb0 reaches 4.50 and #111111 on #0585b6 reaches 4.53: darkening wins.
    expect(contrastRatio(WHITE, '#007fb0')).toBeGreaterThanOrEqual(AA_NORMAL);
    expect(contrastRatio(NEAR_BLACK, '#0585b6')).toBeGreaterThanOrEqual(AA_NORMAL);
    expect(contrastRatio(WHITE, '#0081b2')).toBeLessThan(AA_NORMAL);
    expect(contrastRatio(NEAR_BLACK, '#0383b5')).toBeLessThan(AA_NORMAL);
    expect(readableColors('#0082b4')).toEqual({ text: WHITE, background: '#007fb0', adjusted: true });
  });

  it('adjusts a real brand colour in the gap (#e91e63: white 4.35, near-black 4.34)', () => {
    expect(readableColors('#e91e63')).toEqual({ text: WHITE, background: '#e41d61', adjusted: true });
  });

  it('always ends readable, and changes nothing that already was (every #rgb colour)', () => {
    for (const bg of HEX3) {
      const result = readableColors(bg);
      expect(contrastRatio(result.text, result.background)).toBeGreaterThanOrEqual(AA_NORMAL);
      const whiteOk = contrastRatio(WHITE, bg) >= AA_NORMAL;
      const darkOk = contrastRatio(NEAR_BLACK, bg) >= AA_NORMAL;
      expect(result.adjusted).toBe(!whiteOk && !darkOk);
      if (whiteOk) expect(result.text).toBe(WHITE);
      else if (darkOk) expect(result.text).toBe(NEAR_BLACK);
      if (!result.adjusted) expect(result.background).toBe(toHex(parseHex(bg)));
    }
  });

  it('refuses what is not a colour', () => {
    expect(() => readableColors('yellow')).toThrow(RangeError);
  });

  it("gives what the admin app's Settings page shows, for every #rgb colour and a spread of #rrggbb", () => {
    const spread = [];
    for (let n = 0; n < 0x1000000; n += 0x010307) spread.push(toHex([(n >> 16) & 255, (n >> 8) & 255, n & 255]));
    for (const c of HEX3.concat(spread)) expect(readableColors(c)).toEqual(admin.readableColors(c));
  });
});

describe('onWhite: the brand colour as a focus ring or border on the white panel', () => {
  it('keeps a colour that reaches 4.5:1 on white, as #rrggbb', () => {
    expect(onWhite('#2563EB')).toBe('#2563eb');
    expect(onWhite('#0b5cff')).toBe('#0b5cff');
    expect(onWhite('#767676')).toBe('#767676');
    expect(onWhite('#000')).toBe('#000000');
  });

  it('darkens one that does not, 1% at a time, to the first step that reaches 4.5:1', () => {
    expect(onWhite('#777777')).toBe('#767676');
    expect(onWhite('#ffffff')).toBe('#757575');
    expect(onWhite('#ff0000')).toBe('#ed0000');
    expect(onWhite('#ffff00')).toBe('#7a7a00');
    // the step before (6% darker, #f00000) is not enough; 7% (#ed0000) is
    expect(contrastRatio(WHITE, '#f00000')).toBeLessThan(AA_NORMAL);
    expect(contrastRatio(WHITE, '#ed0000')).toBeGreaterThanOrEqual(AA_NORMAL);
  });

  it('always reaches 4.5:1 on white, and changes nothing that already did (every #rgb colour)', () => {
    for (const c of HEX3) {
      const ring = onWhite(c);
      expect(contrastRatio(WHITE, ring)).toBeGreaterThanOrEqual(AA_NORMAL);
      if (contrastRatio(WHITE, c) >= AA_NORMAL) expect(ring).toBe(toHex(parseHex(c)));
    }
  });

  it('refuses what is not a colour', () => {
    expect(() => onWhite('red')).toThrow(RangeError);
  });
});
