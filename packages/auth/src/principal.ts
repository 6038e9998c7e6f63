/**
 * Principals name who makes a call, in Kafka's `<type>:<name>` form: `User:alice` from a bearer
 * token's subject or a client certificate's common name. ACLs name principals the same way;
 * `User:*` in an ACL matches every authenticated principal.
 */

/** The principal every ACL entry of `User:*` matches. */
export const WILDCARD_PRINCIPAL = 'User:*';

/** The only principal type Tributary issues. */
export const USER_PRINCIPAL_TYPE = 'User';

/** `alice` → `User:alice`; `User:alice` stays as it is. */
export function normalizePrincipal(name: string): string {
  return name.includes(':') ? name : `${USER_PRINCIPAL_TYPE}:${name}`;
}

/** A problem with a principal name, or undefined when it is well formed (`User:<name>`). */
export function principalProblem(principal: string): string | undefined {
  const colon = principal.indexOf(':');
  if (colon <= 0) return `principal "${principal}" is not <type>:<name> (e.g. User:alice)`;
  if (principal.slice(0, colon) !== USER_PRINCIPAL_TYPE)
    return `principal "${principal}" has an unknown type (only ${USER_PRINCIPAL_TYPE}: is issued)`;
  const name = principal.slice(colon + 1);
  if (
    name.length === 0 ||
    name.length > 255 ||
    /\s/.test(name) ||
    [...name].some((c) => c.charCodeAt(0) < 0x20)
  )
    return `principal "${principal}" needs a name of 1-255 characters without spaces`;
  return undefined;
}
