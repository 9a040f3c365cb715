// Keyboard shortcut help: a modal dialog closed with Escape or its button; Tab stays inside it while open.
import { useEffect, useRef, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { SHORTCUT_HELP } from '../lib/shortcuts';

export function HelpDialog({ onClose }: { onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, [onClose]);
  // aria-modal: keep Tab and Shift+Tab cycling through the dialog's own controls.
  const trapTab = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'Tab') return;
    const focusable = [...e.currentTarget.querySelectorAll<HTMLElement>('button, [href], input, select, textarea, [tabindex]')].filter(
      (el) => el.tabIndex >= 0 && !el.hasAttribute('disabled'),
    );
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    const active = document.activeElement;
    if (e.shiftKey ? active === first || !e.currentTarget.contains(active) : active === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  };
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="help-title"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={trapTab}
      >
        <h2 id="help-title">Keyboard shortcuts</h2>
        <table className="shortcuts">
          <tbody>
            {SHORTCUT_HELP.map(([key, text]) => (
              <tr key={key}>
                <td>
                  <kbd>{key}</kbd>
                </td>
                <td>{text}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="modal-actions">
          <button ref={closeRef} type="button" className="btn" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
