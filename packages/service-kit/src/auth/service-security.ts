import type * as grpc from '@grpc/grpc-js';
import {
  type AclAuthorizer,
  createToken,
  normalizePrincipal,
  principalProblem,
  readTokenKey,
  type VerifiedToken,
} from '@tributary/auth';
import { InvalidConfigError } from '@tributary/errors';
import { setProcessToken } from '@tributary/proto';
import { AclView, type EtcdConnection } from '@tributary/registry';
import type { Step } from '../lifecycle';
import type { Logger } from '../logger';
import { authenticationInterceptor } from './authentication';
import { authorizeHandlers } from './authorize-handlers';
import { TokenVerifier } from './token-verifier';

export type AuthMode = 'off' | 'authenticate' | 'authorize';

/** How long this service's own tokens live, and how often a fresh one is made. */
const OWN_TOKEN_TTL_SECONDS = 3600;
const OWN_TOKEN_REFRESH_MS = 20 * 60_000;

/**
 * A service's authentication and authorization, built once from its `auth.*` settings by
 * `runService` (docs/security.md):
 * - `interceptors` authenticate every call of its gRPC servers (none when `auth.mode` is off);
 * - `authorize` wraps its handlers with the ACL checks (unchanged unless `auth.mode` is
 *   authorize), fed by `aclStep`, which mirrors the ACLs from etcd;
 * - `identityStep` signs the service's own token (`auth.principal`) and keeps it fresh, so every
 *   client it creates (`@tributary/proto` createClient) calls other services as itself.
 */
export interface ServiceSecurity {
  readonly mode: AuthMode;
  /** This service's own principal. */
  readonly principal: string;
  readonly interceptors: readonly grpc.ServerInterceptor[];
  authorize(
    serviceName: string,
    definition: grpc.ServiceDefinition,
    handlers: grpc.UntypedServiceImplementation,
  ): grpc.UntypedServiceImplementation;
  /** The step, after etcd, that loads the ACLs and follows their changes (authorize mode only). */
  aclStep(etcd: () => EtcdConnection): Step;
  readonly identityStep: Step;
  /** The ACL decisions, once `aclStep` has started (authorize mode only). */
  authorizer(): AclAuthorizer | undefined;
  /**
   * Verifies a bearer token with the same cached verifier as the gRPC listener (the Kafka
   * listener's SASL uses it); undefined when `auth.mode` is off.
   */
  readonly verifyToken: ((token: string) => Promise<VerifiedToken>) | undefined;
}

/** Builds a service's security from its settings; throws InvalidConfigError naming a bad one. */
export function createServiceSecurity(options: {
  service: string;
  mode: AuthMode;
  keyFile: string;
  principal: string;
  superUsers: readonly string[];
  logger: Logger;
}): ServiceSecurity {
  const { mode, logger } = options;
  if (mode !== 'off' && options.keyFile === '')
    throw new InvalidConfigError('auth.token.key.file', `is required when auth.mode is ${mode}`);
  let key: Uint8Array | undefined;
  if (options.keyFile !== '') {
    try {
      key = readTokenKey(options.keyFile);
    } catch (err) {
      throw new InvalidConfigError('auth.token.key.file', (err as Error).message);
    }
  }
  const principal = normalizePrincipal(options.principal || options.service);
  const problem = principalProblem(principal);
  if (problem !== undefined) throw new InvalidConfigError('auth.principal', problem);
  for (const user of options.superUsers) {
    const p = principalProblem(user);
    if (p !== undefined) throw new InvalidConfigError('auth.super.users', p);
  }

  let view: AclView | undefined;
  let ownToken: string | undefined;
  let refresh: NodeJS.Timeout | undefined;
  const mint = async () => {
    ownToken = await createToken({ principal, ttlSeconds: OWN_TOKEN_TTL_SECONDS, key: key! });
  };
  const authorizer = () => {
    if (!view) throw new Error('ACLs are not loaded yet');
    return view.authorizer;
  };

  const verifier = mode === 'off' || key === undefined ? undefined : new TokenVerifier(key);

  return {
    mode,
    principal,
    interceptors: verifier === undefined ? [] : [authenticationInterceptor(verifier)],
    verifyToken: verifier === undefined ? undefined : (token) => verifier.verify(token),
    authorize: (serviceName, definition, handlers) =>
      mode === 'authorize' ? authorizeHandlers(serviceName, definition, handlers, authorizer) : handlers,
    aclStep: (etcd) => ({
      name: 'acls',
      async start() {
        if (mode !== 'authorize') return;
        view = new AclView(etcd().ns, options.superUsers, (err) =>
          logger.warn({ err: err.message }, 'ACL watch error'),
        );
        await view.start();
        logger.info({ acls: view.authorizer.size, superUsers: options.superUsers }, 'ACLs loaded');
      },
      async stop() {
        await view?.close();
      },
    }),
    identityStep: {
      name: 'identity',
      async start() {
        if (key === undefined) return;
        await mint();
        setProcessToken(() => ownToken);
        refresh = setInterval(() => {
          mint().catch((err: Error) => logger.warn({ err: err.message }, 'cannot renew own token'));
        }, OWN_TOKEN_REFRESH_MS);
        refresh.unref();
        logger.info({ principal }, 'calls other services as its own principal');
      },
      stop() {
        clearInterval(refresh);
        setProcessToken(undefined);
      },
    },
    authorizer: () => view?.authorizer,
  };
}
