// Reply drafts per conversation, in localStorage so they survive a sign-out, an expired session or a reload.
const PREFIX = 'handoff.draft.';

export function loadDraft(conversationId: number): string {
  try {
    return localStorage.getItem(PREFIX + conversationId) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(conversationId: number, text: string): void {
  try {
    if (text) localStorage.setItem(PREFIX + conversationId, text);
    else localStorage.removeItem(PREFIX + conversationId);
  } catch {
    /* storage full or disabled: the draft just stays in memory */
  }
}
