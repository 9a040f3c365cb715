// Tags as removable chips plus an input; Enter or comma adds one. The tenant's tag list is offered as
// suggestions (a new name is fine too: it joins the list).
import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import * as api from '../api/endpoints';

interface Props {
  tags: string[];
  onChange: (tags: string[]) => Promise<unknown>;
}

export function TagsEditor({ tags, onChange }: Props) {
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const [known, setKnown] = useState<string[]>([]);
  const listId = useId();

  useEffect(() => {
    let cancelled = false;
    api
      .listTags()
      .then((r) => {
        if (!cancelled && Array.isArray(r?.tags)) setKnown(r.tags);
      })
      .catch(() => {
        /* no suggestions: typing a tag still works */
      });
    return () => {
      cancelled = true;
    };
  }, []);

  const save = async (next: string[]) => {
    setBusy(true);
    try {
      await onChange(next);
    } finally {
      setBusy(false);
    }
  };

  const add = () => {
    const tag = draft.trim().replace(/,$/, '');
    setDraft('');
    if (!tag || tags.includes(tag)) return;
    void save([...tags, tag]);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter' || e.key === ',') {
      e.preventDefault();
      add();
    }
  };

  return (
    <div className="tags">
      <ul className="tag-list" aria-label="Tags">
        {tags.map((tag) => (
          <li key={tag} className="tag">
            {tag}
            <button
              type="button"
              className="tag-remove"
              aria-label={`Remove tag ${tag}`}
              disabled={busy}
              onClick={() => void save(tags.filter((t) => t !== tag))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        type="text"
        aria-label="Add tag"
        placeholder="Add tag"
        list={listId}
        value={draft}
        disabled={busy}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={() => draft.trim() && add()}
      />
      <datalist id={listId}>
        {known
          .filter((t) => !tags.includes(t))
          .map((t) => (
            <option key={t} value={t} />
          ))}
      </datalist>
    </div>
  );
}
