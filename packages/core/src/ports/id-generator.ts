export interface IdGenerator {
  /** A new unique id matching IdSchema. */
  newId(): string;
}
