import type { PlaceCandidate } from '../domain/index.js';

/**
 * The Places service, shaped by what merchant resolution asks of it.
 *
 * @example
 * const byPhone = await places.findByPhone('(555) 123-4567');
 * const [best] = byPhone.length > 0 ? byPhone : await places.searchText('Harbor Lane Grocery 12 Quay St');
 * // best?.place_id, best?.name, best?.formatted_address
 * const picked = await places.getPlace('ChIJ-harbor-lane'); // a person's pick from a search: null if unknown
 */
export interface PlacesResolver {
  /** Places whose phone number matches (any formatting). */
  findByPhone(phone: string): Promise<PlaceCandidate[]>;
  /** Free-text search, best first (name plus address works best). */
  searchText(query: string): Promise<PlaceCandidate[]>;
  /**
   * The place with this id (name, address and phone), or null when the service knows no such
   * place: what a merchant correction to a place no receipt of the owner's knows yet reads.
   */
  getPlace(placeId: string): Promise<PlaceCandidate | null>;
}
