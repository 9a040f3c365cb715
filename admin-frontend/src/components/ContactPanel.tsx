// Who the visitor is, and on which channel.
import { contactName } from '../lib/format';
import type { Conversation } from '../types';
import { ChannelBadge } from './Badges';

export function ContactPanel({ conversation }: { conversation: Conversation }) {
  const c = conversation.contact;
  return (
    <section className="panel contact" aria-label="Contact">
      <h3>Contact</h3>
      <dl>
        <dt>Name</dt>
        <dd>
          {contactName(c)}
          {c?.verified ? (
            <>
              {' '}
              <span className="badge badge-verified">Verified</span>
            </>
          ) : null}
        </dd>
        <dt>Email</dt>
        <dd>{c?.email ? <a href={`mailto:${c.email}`}>{c.email}</a> : <span className="muted">—</span>}</dd>
        <dt>Phone</dt>
        <dd>{c?.phone ?? <span className="muted">—</span>}</dd>
        <dt>Channel</dt>
        <dd>
          <ChannelBadge channel={c?.channel ?? conversation.channel} />
        </dd>
        <dt>Opted out</dt>
        <dd>{c?.opted_out ? <strong className="warn">Yes (SMS STOP)</strong> : 'No'}</dd>
      </dl>
    </section>
  );
}
