/** A goal from the issue: a figure must be at most or at least a bound. */
export interface Goal {
  bound: number;
  direction: 'max' | 'min';
}

export interface Verdict {
  met: boolean;
  /** For a missed goal: how far off, e.g. "2.4x the bound" or "12% under". */
  miss: string | null;
}

/** Judges a value against its goal; a value that could not be measured (NaN) is not met. */
export function judge(value: number, goal: Goal): Verdict {
  if (!Number.isFinite(value)) return { met: false, miss: 'not measured' };
  const met = goal.direction === 'max' ? value <= goal.bound : value >= goal.bound;
  if (met) return { met, miss: null };
  if (goal.direction === 'max') {
    const over = value / goal.bound;
    return { met, miss: over >= 2 ? `${over.toFixed(1)}x the bound` : `${((over - 1) * 100).toFixed(0)}% over` };
  }
  return { met, miss: `${((1 - value / goal.bound) * 100).toFixed(0)}% under` };
}

/** How the goal reads in the table: "<= 1.5" or ">= 1.7". */
export function describeGoal(goal: Goal, unit = ''): string {
  return `${goal.direction === 'max' ? '<=' : '>='} ${goal.bound}${unit}`;
}
