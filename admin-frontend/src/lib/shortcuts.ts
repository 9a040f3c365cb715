// Single-key shortcuts that stay quiet while the user types in a field.
import { useEffect, useRef } from 'react';

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

export type ShortcutMap = Record<string, (event: KeyboardEvent) => void>;

export function useShortcuts(map: ShortcutMap, enabled = true): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTypingTarget(event.target)) return;
      const handler = ref.current[event.key];
      if (!handler) return;
      event.preventDefault();
      handler(event);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}

export const SHORTCUT_HELP: Array<[string, string]> = [
  ['j', 'Next conversation'],
  ['k', 'Previous conversation'],
  ['r', 'Focus the reply box'],
  ['e', 'Close the conversation (reopen when closed)'],
  ['/', 'Search conversations'],
  ['?', 'Show this help'],
  ['Esc', 'Close dialogs'],
];
