import type { Config } from '../config.js';
import { FileTokenStore, StateTokenStore, type TokenStore } from './token-store.js';

const stores = new WeakMap<Config, TokenStore>();

/**
 * The token store the settings choose: the secret SPOTIFY_TOKEN_SECRET_ID when set, else the state (STATE_URL or STATE_DIR). One per
 * Config, so the process keeps one Secrets Manager client (the SDK is loaded only when that store is used).
 */
export async function tokenStore(config: Config): Promise<TokenStore> {
  let store = stores.get(config);
  if (!store) {
    if (config.tokenSecret) {
      const { SecretsManagerTokenStore } = await import('./secrets-manager-token-store.js');
      store = new SecretsManagerTokenStore(config.tokenSecret);
    } else if (config.state.kind === 's3') {
      // STATE_URL=s3://…: the tokens live with the rest of the state, no local disk needed.
      const { openStateStore } = await import('../state/open-state-store.js');
      store = new StateTokenStore(await openStateStore(config));
    } else {
      store = new FileTokenStore(config.state.dir);
    }
    stores.set(config, store);
  }
  return store;
}
