// Files picked, dropped or pasted into the composer: each uploads at once with a progress bar, images show
// a preview, and any can be removed before sending. `usePendingFiles` holds them; `PendingFiles` lists them.
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import { uploadWithProgress } from '../lib/uploadWithProgress';
import type { Upload } from '../types';

export const MAX_FILES = 10;
export const ACCEPTED = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain';

export interface PendingFile {
  key: number;
  name: string;
  /** A local preview of an image, shown before (and while) it uploads. */
  preview: string | null;
  progress: number;
  upload: Upload | null;
  error: string | null;
}

let nextKey = 0;

export function usePendingFiles(onProblem: (message: string) => void) {
  const [files, setFiles] = useState<PendingFile[]>([]);
  const aborts = useRef(new Map<number, AbortController>());
  const patch = (key: number, change: Partial<PendingFile>) =>
    setFiles((list) => list.map((f) => (f.key === key ? { ...f, ...change } : f)));

  const add = useCallback(
    (picked: File[]) => {
      const room = MAX_FILES - files.length;
      if (picked.length > room) onProblem(`At most ${MAX_FILES} files per message.`);
      for (const file of picked.slice(0, Math.max(0, room))) {
        const key = (nextKey += 1);
        const preview = file.type.startsWith('image/') ? URL.createObjectURL(file) : null;
        const abort = new AbortController();
        aborts.current.set(key, abort);
        setFiles((list) => [...list, { key, name: file.name || 'pasted image', preview, progress: 0, upload: null, error: null }]);
        uploadWithProgress(file, (progress) => patch(key, { progress }), abort.signal)
          .then((upload) => patch(key, { upload, progress: 1 }))
          .catch((err: unknown) => {
            if (!abort.signal.aborted) patch(key, { error: errorMessage(err) });
          })
          .finally(() => aborts.current.delete(key));
      }
    },
    [files.length, onProblem],
  );

  const remove = useCallback((key: number) => {
    aborts.current.get(key)?.abort();
    setFiles((list) => {
      const gone = list.find((f) => f.key === key);
      if (gone?.preview) URL.revokeObjectURL(gone.preview);
      return list.filter((f) => f.key !== key);
    });
  }, []);

  const clear = useCallback(() => {
    aborts.current.forEach((a) => a.abort());
    setFiles((list) => {
      list.forEach((f) => f.preview && URL.revokeObjectURL(f.preview));
      return [];
    });
  }, []);

  useEffect(() => clear, [clear]);

  const uploads = files.flatMap((f) => (f.upload ? [f.upload] : []));
  const busy = files.some((f) => !f.upload && !f.error);
  return { files, add, remove, clear, uploads, busy };
}

export function PendingFiles({ files, onRemove }: { files: PendingFile[]; onRemove: (key: number) => void }) {
  if (!files.length) return null;
  return (
    <ul className="pending-attachments" aria-label="Files to send">
      {files.map((f) => (
        <li key={f.key} className={f.error ? 'pending-failed' : undefined}>
          {f.preview ? <img src={f.preview} alt={`Preview of ${f.name}`} className="pending-preview" /> : null}
          <span className="small">{f.name}</span>
          {f.error ? (
            <span className="error small">{f.error}</span>
          ) : f.upload ? null : (
            <progress max={1} value={f.progress} aria-label={`Uploading ${f.name}`} />
          )}
          <button type="button" className="btn btn-link btn-small" aria-label={`Remove ${f.name}`} onClick={() => onRemove(f.key)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
