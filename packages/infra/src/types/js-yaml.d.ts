/** The one js-yaml function this package uses (the package ships no types). */
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
