// Live contrast check for the brand colour: which text colour the widget will use on it, and a warning when
// white text does not reach WCAG AA (4.5:1) on the colour as given.
import { AA_NORMAL, contrastRatio, formatRatio, NEAR_BLACK, parseHex, readableColors, toHex, WHITE } from '../lib/contrast';

export function contrastMessage(color: string): { level: 'ok' | 'warn' | 'invalid'; text: string } {
  const rgb = parseHex(color);
  if (!rgb) return { level: 'invalid', text: 'Enter the colour as #rrggbb to check its contrast.' };
  const hex = toHex(rgb);
  const white = contrastRatio(WHITE, rgb);
  const dark = contrastRatio(NEAR_BLACK, rgb);
  const aa = formatRatio(AA_NORMAL);
  if (white >= AA_NORMAL) {
    return { level: 'ok', text: `White text on ${hex}: ${formatRatio(white)} (WCAG AA needs ${aa}). The widget uses white text.` };
  }
  if (dark >= AA_NORMAL) {
    return {
      level: 'warn',
      text:
        `Low contrast: white text on ${hex} reaches only ${formatRatio(white)} (WCAG AA needs ${aa}). ` +
        `The widget will use dark text (${NEAR_BLACK}, ${formatRatio(dark)}) instead.`,
    };
  }
  const chosen = readableColors(hex);
  const which = chosen.text === WHITE ? 'white' : 'dark';
  return {
    level: 'warn',
    text:
      `Low contrast: neither white text (${formatRatio(white)}) nor dark text (${formatRatio(dark)}) reaches ${aa} ` +
      `on ${hex}. The widget will use ${which} text (${chosen.text}) on ${chosen.background} ` +
      `(${formatRatio(contrastRatio(chosen.text, chosen.background))}) instead.`,
  };
}

export function ContrastCheck({ color, id }: { color: string; id?: string }) {
  const { level, text } = contrastMessage(color);
  // The status region stays mounted so screen readers announce each change.
  return (
    <p id={id} className={`contrast-note contrast-${level}`} role="status" data-testid="contrast-check">
      {text}
    </p>
  );
}
