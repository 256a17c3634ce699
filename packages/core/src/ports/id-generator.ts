/**
 * New ids for images, jobs and runs, injectable so that tests get predictable ones.
 *
 * @example
 * const image_id = ids.newId(); // e.g. a UUID v4 from UuidIdGenerator
 */
export interface IdGenerator {
  /** A new unique id matching IdSchema. */
  newId(): string;
}
