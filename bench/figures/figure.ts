import { type EventLoopDelay } from '../support/measure.js';

/**
 * One figure of BENCHMARKS.md as `bench/results/latest.json` records it:
 * the value, the baseline measured in the same run, their ratio, and
 * whether the ratio meets the goal.
 */
export interface Figure {
  readonly id: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** What the baseline is, in words. */
  readonly baselineName: string;
  /** Null where BENCHMARKS.md gives no baseline (B6, B11): the goal is absolute. */
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly goal: string;
  readonly met: boolean;
  readonly eventLoop?: EventLoopDelay;
  /** Further numbers behind the figure (per command, peak memory, errors…). */
  readonly details?: Record<string, unknown>;
}

type Goal =
  | { readonly kind: 'ratioAtLeast'; readonly ratio: number }
  | { readonly kind: 'ratioAtMost'; readonly ratio: number }
  | { readonly kind: 'valueAtMost'; readonly value: number };

/** The goal in words, where the target alone does not say it all (B3). */
type GoalText = { readonly goalText?: string };

/** Builds a figure, computing its ratio and whether its goal is met. */
export function figure(
  fields: Omit<Figure, 'ratio' | 'goal' | 'met'> & {
    readonly target: Goal;
    readonly alsoMet?: boolean;
  } & GoalText,
): Figure {
  const { target, alsoMet = true, goalText, ...rest } = fields;
  const ratio = rest.baseline === null || rest.baseline === 0 ? null : rest.value / rest.baseline;
  let met: boolean;
  let goal: string;
  switch (target.kind) {
    case 'ratioAtLeast':
      goal = `≥ ${target.ratio} × baseline`;
      met = ratio !== null && ratio >= target.ratio;
      break;
    case 'ratioAtMost':
      goal = `≤ ${target.ratio} × baseline`;
      met = ratio !== null && ratio <= target.ratio;
      break;
    case 'valueAtMost':
      goal = `≤ ${target.value} ${rest.unit}`;
      met = rest.value <= target.value;
      break;
  }
  return { ...rest, ratio, goal: goalText ?? goal, met: met && alsoMet && Number.isFinite(rest.value) };
}
