// The customer's satisfaction rating of one conversation, shown in the conversation and History views:
// nothing when it was not surveyed, "waiting" until the customer answers.
import { useEffect, useState } from 'react';
import * as api from '../api/endpoints';
import type { Survey } from '../types';

/** `refresh`: anything that changes when the rating may have arrived (the conversation's last message). */
export function CsatRating({ conversationId, refresh }: { conversationId: number; refresh?: unknown }) {
  const [survey, setSurvey] = useState<Survey | null>(null);

  useEffect(() => {
    let cancelled = false;
    setSurvey(null);
    api
      .getSurvey(conversationId)
      .then((found) => {
        if (!cancelled) setSurvey(found);
      })
      .catch(() => undefined); // the rating is extra information: the view works without it
    return () => {
      cancelled = true;
    };
  }, [conversationId, refresh]);

  if (!survey) return null;
  return (
    <p className="csat-rating small" data-testid="csat-rating">
      <strong>Customer rating:</strong>{' '}
      {survey.rating == null ? (
        <span className="muted">asked, no answer yet</span>
      ) : (
        <>
          <span aria-label={`${survey.rating} out of 5`}>{survey.rating} / 5</span>
          {survey.comment ? <q className="csat-comment">{survey.comment}</q> : null}
        </>
      )}
    </p>
  );
}
