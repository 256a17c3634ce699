import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/min';

/*
 * Not re-exported from the merchant barrel on purpose: libphonenumber-js's metadata costs a few
 * milliseconds of Lambda init, so CachingPlacesResolver imports this module on its first phone
 * lookup with a phoneCountry, and bundles that never key phones by E.164 never evaluate it.
 */

/**
 * The number in E.164 (`+442079460958`), or null when the text is not a possible number. A
 * national number ("020 7946 0958") needs `defaultCountry`, the ISO 3166 country the receipts come
 * from; an international one ("+44 20 7946 0958") does not. Parsed by libphonenumber-js (Google's
 * numbering metadata, the small set) rather than by hand, because trunk prefixes and number
 * lengths differ from country to country.
 *
 * @example
 * phoneE164('020 7946 0958', 'GB'); // '+442079460958'
 * phoneE164('+44 20 7946 0958'); // '+442079460958'
 * phoneE164('020 7946 0958'); // null: national, and no country to read it in
 */
export function phoneE164(text: string, defaultCountry?: string): string | null {
  const country = defaultCountry && isSupportedCountry(defaultCountry) ? defaultCountry : undefined;
  const parsed = parsePhoneNumberFromString(text, country ? { defaultCountry: country } : {});
  return parsed?.isPossible() ? parsed.number : null;
}

/** True when `code` is an ISO 3166 country whose phone numbers {@link phoneE164} can read. */
export function isPhoneCountry(code: string): boolean {
  return isSupportedCountry(code);
}
