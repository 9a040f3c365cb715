// Settings › Integrations (admins): outgoing webhooks and API tokens (docs/integrations.md).
import { ApiTokensSettings } from './ApiTokensSettings';
import { WebhooksSettings } from './WebhooksSettings';

export function IntegrationsSettings() {
  return (
    <>
      <WebhooksSettings />
      <ApiTokensSettings />
    </>
  );
}
