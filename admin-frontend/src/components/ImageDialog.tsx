// An image from the transcript at full size: a modal dialog named after the file, closed with Escape, its
// button or a click outside; focus goes back to the thumbnail that opened it.
import { useEffect, useRef } from 'react';

export function ImageDialog({ src, name, onClose }: { src: string; name: string; onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      previous?.focus?.();
    };
  }, [onClose]);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal image-modal"
        role="dialog"
        aria-modal="true"
        aria-label={name}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Tab') {
            e.preventDefault(); // two controls: keep focus inside the dialog
            const other = e.currentTarget.querySelector<HTMLElement>(
              document.activeElement === closeRef.current ? 'a' : 'button',
            );
            other?.focus();
          }
        }}
      >
        <img src={src} alt={name} className="image-full" />
        <div className="modal-actions">
          <a href={src} target="_blank" rel="noopener noreferrer" className="btn">
            Open in a new tab
          </a>
          <button ref={closeRef} type="button" className="btn" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
