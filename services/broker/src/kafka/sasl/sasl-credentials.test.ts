import { parseSaslClaim, SaslFormatError } from './sasl-credentials';

const SOH = '\u0001';

describe('parseSaslClaim', () => {
  it('reads SASL/PLAIN: the password is the token, the username (and authzid) the claimed principal', () => {
    expect(parseSaslClaim('PLAIN', Buffer.from('\u0000alice\u0000tok'))).toEqual({
      token: 'tok',
      claimedPrincipals: ['User:alice'],
    });
    expect(parseSaslClaim('PLAIN', Buffer.from('User:alice\u0000User:alice\u0000tok'))).toEqual({
      token: 'tok',
      claimedPrincipals: ['User:alice', 'User:alice'],
    });
  });

  it('refuses SASL/PLAIN without three parts, a username or a password', () => {
    for (const text of ['alice\u0000tok', '\u0000\u0000tok', '\u0000alice\u0000', 'a\u0000b\u0000c\u0000d'])
      expect(() => parseSaslClaim('PLAIN', Buffer.from(text))).toThrow(SaslFormatError);
  });

  it('reads SASL/OAUTHBEARER (RFC 7628): the bearer token, and an authzid when sent', () => {
    expect(
      parseSaslClaim('OAUTHBEARER', Buffer.from(`n,,${SOH}auth=Bearer abc.def.ghi${SOH}${SOH}`)),
    ).toEqual({
      token: 'abc.def.ghi',
      claimedPrincipals: [],
    });
    expect(
      parseSaslClaim(
        'OAUTHBEARER',
        Buffer.from(`n,a=alice,${SOH}host=x${SOH}auth=Bearer t${SOH}ext=1${SOH}${SOH}`),
      ),
    ).toEqual({ token: 't', claimedPrincipals: ['User:alice'] });
  });

  it('refuses SASL/OAUTHBEARER without a GS2 header, framing or bearer token, and channel binding', () => {
    for (const text of [
      `auth=Bearer t${SOH}${SOH}`,
      `n,,auth=Bearer t`,
      `n,,${SOH}host=x${SOH}${SOH}`,
      `n,,${SOH}auth=Basic t${SOH}${SOH}`,
      `p=tls-unique,,${SOH}auth=Bearer t${SOH}${SOH}`,
    ])
      expect(() => parseSaslClaim('OAUTHBEARER', Buffer.from(text))).toThrow(SaslFormatError);
  });
});
