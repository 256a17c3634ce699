/**
 * The bench's pure helpers, for tests and other measuring scripts: statistics, goal verdicts,
 * recall, the cost model and receipt-like filler text. `pnpm bench` itself is `bench/main.ts`;
 * importing this entry runs nothing.
 *
 * @example
 * ```ts
 * import { costPer1000, judge, median, recallAtK } from '@receiptflow/devkit/bench';
 *
 * judge(1.8, { bound: 1.5, direction: 'max' }); // { met: false, miss: '20% over' }
 * median([3, 1, 2]); // 2
 * recallAtK([['a', 'b']], [['a', 'c']], 2); // 0.5
 * ```
 * @packageDocumentation
 */
export { costPer1000, PRICES, type CostPer1000, type LambdaUsage, type UsageCounts } from './cost-model.js';
export { describeGoal, judge, type Goal, type Verdict } from './goals.js';
export { recallAtK, tieAwareRecallAtK } from './recall.js';
export { fillerMerchants, receiptLines, seededRandom } from './receipt-lines.js';
export { mapValues, median, percentile, ratio, round } from './stats.js';
export { GOALS } from './report.js';
