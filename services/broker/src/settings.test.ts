import { resolveBrokerId } from './settings';

describe('resolveBrokerId', () => {
  it('uses the configured id', () => expect(resolveBrokerId(4, 'whatever')).toBe(4));
  it('derives the id from a StatefulSet pod ordinal', () =>
    expect(resolveBrokerId(-1, 'tributary-broker-2')).toBe(2));
  it('says what to set when neither is there', () =>
    expect(() => resolveBrokerId(-1, 'laptop')).toThrow(/set --broker.id or TRIBUTARY_BROKER_ID/));
});
