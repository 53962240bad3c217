import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';

export type OpenSearchClientAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'sigv4'; readonly region: string; readonly service?: 'es' | 'aoss' };

export interface OpenSearchClientOptions {
  /** `https://search-domain.region.es.amazonaws.com` or `http://127.0.0.1:9200`. */
  readonly endpoint: string;
  readonly auth: OpenSearchClientAuth;
  /** Per request; a bulk of a hundred documents with scripted upserts can take a while. Default 60 s. */
  readonly requestTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The one place that builds an OpenSearch client. SigV4 signs every request with credentials
 * from the default AWS chain (environment, profile, SSO, container or instance role), resolved
 * once and refreshed by the signer before they expire. The client itself retries connection
 * errors and 502/503/504 a few times; our retry policy sits above it.
 */
export function createOpenSearchClient(options: OpenSearchClientOptions): Client {
  const base: ClientOptions = {
    node: options.endpoint,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  const { auth } = options;
  switch (auth.kind) {
    case 'none':
      return new Client(base);
    case 'basic':
      return new Client({ ...base, auth: { username: auth.username, password: auth.password } });
    case 'sigv4': {
      // One memoised provider chain for the client's lifetime, not one per request.
      const credentials = defaultProvider();
      return new Client({
        ...base,
        ...AwsSigv4Signer({ region: auth.region, service: auth.service ?? 'es', getCredentials: () => credentials() }),
      });
    }
  }
}
