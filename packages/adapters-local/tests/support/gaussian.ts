/** Seeded Gaussian points, optionally around cluster centres (the shape of real embeddings). */
export function gaussianSource(seed: number, dimensions: number, clusters: number) {
  let state = seed >>> 0;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dimensions }, gauss));
  return (): number[] => {
    if (clusters === 0) return Array.from({ length: dimensions }, gauss);
    const centre = centres[Math.floor(uniform() * clusters)]!;
    return centre.map((x) => x + gauss() * 0.6);
  };
}
