/**
 * Why a broker cannot be reached, when the reason is this client's transport settings rather
 * than a broker that is down. grpc-js reports every failed connection the same way (UNAVAILABLE,
 * which the client retries until its deadline), so a plaintext client at a TLS listener, or one
 * without the certificate a mutual-TLS listener requires, would wait a minute and then say only
 * "no broker answered". After a round in which no broker answered, the client makes one TLS
 * handshake of its own to a broker and decides from its outcome, by error code, never by
 * message text:
 * - plaintext client, handshake succeeds: the listener speaks TLS;
 * - TLS client, an OpenSSL error (`ERR_SSL_*`, e.g. a plaintext listener or a refused client
 *   certificate) or a certificate check failure (`SELF_SIGNED_CERT_IN_CHAIN`,
 *   `ERR_TLS_CERT_ALTNAME_INVALID`, ...): the settings do not fit the listener.
 * Network errors (refused, reset, timed out) mean the broker is down: no verdict, retry as usual.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConnectionOptions, connect } from 'node:tls';
import type { ClientTlsOptions } from '@tributary/proto';

/** The HTTP/2 client preface: after a handshake, a listener that accepts us answers it with SETTINGS. */
const HTTP2_PREFACE = Buffer.from(
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00',
  'latin1',
);

const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** A transport mismatch with the listener at `address`, described for a person; undefined if none is found. */
export function probeTransport(
  address: string,
  tls: ClientTlsOptions | undefined,
  timeoutMs = 2000,
): Promise<string | undefined> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  let options: ConnectionOptions = {
    host,
    port,
    ALPNProtocols: ['h2'],
    ...(isIP(host) === 0 ? { servername: host } : {}),
  };
  if (tls === undefined) options = { ...options, rejectUnauthorized: false };
  else {
    try {
      options = {
        ...options,
        ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
        ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
        ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
      };
    } catch (err) {
      return Promise.resolve(`cannot read a TLS file: ${(err as Error).message}`);
    }
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (verdict: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const socket = connect(options, () => {
      if (tls === undefined) {
        done(
          `the listener at ${address} speaks TLS and this client connects in plaintext; ` +
            'give it the cluster’s CA (tls.caFile, or --tls-ca-file / TRIBUTARY_TLS_CA_FILE for the CLI)',
        );
        return;
      }
      // TLS 1.3 servers refuse a missing client certificate after the handshake: wait for
      // their answer to the HTTP/2 preface (SETTINGS) or their alert.
      socket.write(HTTP2_PREFACE);
    });
    socket.once('data', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (tls === undefined || NETWORK_ERRORS.has(code)) return done(undefined);
      done(`TLS to ${address} failed (${code}): ${describeTlsFailure(code, err.message)}`);
    });
    socket.once('close', () => done(undefined));
  });
}

function describeTlsFailure(code: string, message: string): string {
  if (
    code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' ||
    code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'
  )
    return 'the listener requires a client certificate (mutual TLS); give tls.certFile and tls.keyFile (--tls-cert-file, --tls-key-file)';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG')
    return 'the listener does not speak TLS; connect without tls options';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the listener’s certificate does not name this host (${message})`;
  if (/CERT|SIGNATURE|ISSUER/.test(code))
    return `the listener’s certificate is not trusted by tls.caFile (${message})`;
  return message;
}
