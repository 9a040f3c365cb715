// The composer's pop-up list (saved replies after /, teammates after @). The focus stays in the text box,
// which points at the highlighted option with aria-activedescendant; the options are never focused.
export interface Suggestion {
  key: string;
  label: string;
  detail?: string;
}

interface Props {
  id: string;
  label: string;
  items: Suggestion[];
  active: number;
  empty: string;
  onChoose: (index: number) => void;
}

export const optionId = (listId: string, index: number) => `${listId}-opt-${index}`;

export function Suggestions({ id, label, items, active, empty, onChoose }: Props) {
  return (
    <div className="suggestions">
      {items.length ? (
        <ul id={id} role="listbox" aria-label={label}>
          {items.map((item, i) => (
            <li
              key={item.key}
              id={optionId(id, i)}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              // mousedown, not click: the text box keeps the focus (and its caret).
              onMouseDown={(e) => {
                e.preventDefault();
                onChoose(i);
              }}
            >
              <span className="suggestion-label">{item.label}</span>
              {item.detail ? <span className="suggestion-detail">{item.detail}</span> : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small suggestions-empty" role="status">
          {empty}
        </p>
      )}
    </div>
  );
}
