import { DOMAIN_ERROR_CODES } from './error-codes.js';

describe('the error code catalogue', () => {
  it('lists each code once', () => {
    expect(new Set(DOMAIN_ERROR_CODES).size).toBe(DOMAIN_ERROR_CODES.length);
  });

  it('names every code AREA.REASON in capitals', () => {
    for (const code of DOMAIN_ERROR_CODES) expect(code).toMatch(/^[A-Z]+\.[A-Z]+(_[A-Z]+)*$/);
  });
});
