// Stratified sampling of logged calls for replays: each stratum (e.g. the logged answer's label)
// gets its proportional share (largest remainder), so the sample is self-weighting and the plain
// agreement rate estimates the group's. The result is in random order, so a run the budget cap stops
// early still replayed a representative prefix rather than whole strata.
import { seededRandom, shuffled } from "../../stats/random";

export function stratifiedSample<T>(items: readonly T[], size: number, stratumOf: (item: T) => string, seed: number | string = 1): T[] {
  if (!Number.isInteger(size) || size < 0) throw new Error(`sample size must be a non-negative integer, got ${size}`);
  const random = seededRandom(seed);
  if (size >= items.length) return shuffled(items, random);
  const strata = new Map<string, T[]>();
  for (const item of items) {
    const key = stratumOf(item);
    let list = strata.get(key);
    if (!list) strata.set(key, (list = []));
    list.push(item);
  }
  const keys = [...strata.keys()].sort();
  const quotas = keys.map((k) => (strata.get(k)!.length * size) / items.length);
  const counts = quotas.map(Math.floor);
  let left = size - counts.reduce((a, b) => a + b, 0);
  // Largest remainders first; ties by a seeded order so no stratum is favoured by its name.
  const order = shuffled(keys.map((_, i) => i), random).sort((a, b) => quotas[b] - counts[b] - (quotas[a] - counts[a]));
  for (const i of order) {
    if (left <= 0) break;
    counts[i]++;
    left--;
  }
  const picked: T[] = [];
  keys.forEach((k, i) => picked.push(...shuffled(strata.get(k)!, random).slice(0, counts[i])));
  return shuffled(picked, random);
}
