import type { PlaceCandidate } from '../domain/index.js';

/** The Places service, shaped by what merchant resolution asks of it. */
export interface PlacesResolver {
  /** Places whose phone number matches (any formatting). */
  findByPhone(phone: string): Promise<PlaceCandidate[]>;
  /** Free-text search, best first (name plus address works best). */
  searchText(query: string): Promise<PlaceCandidate[]>;
}
