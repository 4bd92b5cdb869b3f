/**
 * The lookalike model, pure: feature vectors → standardisation → logistic regression of seed vs
 * sampled non-seed people → linear scores → quality (AUC, recall at the chosen size).
 *
 * The regression is mljs' `ml-logistic-regression` (batch gradient descent on ml-matrix). It has no
 * intercept and no regularisation, so:
 * - an intercept column of ones is prepended to every vector (its weight is the intercept);
 * - features are standardised (z-scores from the training rows, missing values imputed with the
 *   mean, i.e. 0, and clipped to ±CLIP), so one step size fits every feature and no single heavy
 *   tail dominates;
 * - gradient descent starts from zero and runs a fixed, small number of steps: early stopping
 *   keeps the weights small (it acts like an L2 penalty) and keeps the weights finite when seed and
 *   sample separate perfectly;
 * - the library's gradient is a sum over rows, so the step size is divided by the number of rows;
 *   the step is also kept below 4/λmax of XᵀX/n (estimated by power iteration), half the bound
 *   above which gradient descent on the logistic loss can diverge (many correlated features, e.g.
 *   a boolean and the one-hot columns of the same attribute, raise λmax).
 * Scores are the linear predictor w·x (monotone in the probability, without the ties a saturated
 * sigmoid would give near 1).
 */
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';

/** Standardised values are clipped to ±CLIP. */
export const CLIP = 5;
export const DEFAULT_STEPS = 150;
/** Step size per mean-gradient unit (features are standardised). */
export const DEFAULT_STEP_SIZE = 1;

/** z-scores with means and standard deviations taken from training rows; NaN = missing. */
export class Standardizer {
  constructor(
    readonly means: readonly number[],
    readonly stds: readonly number[],
  ) {}

  /** Means and (population) standard deviations per column, ignoring missing values (NaN). */
  static fit(rows: readonly ArrayLike<number>[], width: number): Standardizer {
    const sums = new Float64Array(width);
    const squares = new Float64Array(width);
    const counts = new Float64Array(width);
    for (const row of rows) {
      for (let j = 0; j < width; j++) {
        const v = row[j];
        if (Number.isNaN(v)) continue;
        sums[j] += v;
        squares[j] += v * v;
        counts[j] += 1;
      }
    }
    const means: number[] = [];
    const stds: number[] = [];
    for (let j = 0; j < width; j++) {
      const mean = counts[j] ? sums[j] / counts[j] : 0;
      const variance = counts[j] ? Math.max(0, squares[j] / counts[j] - mean * mean) : 0;
      means.push(mean);
      // A constant column carries no information: it standardises to 0 everywhere.
      stds.push(Math.sqrt(variance) > 1e-9 ? Math.sqrt(variance) : 0);
    }
    return new Standardizer(means, stds);
  }

  /** The standardised row: missing → 0 (the mean), constant columns → 0, clipped to ±CLIP. */
  transform(row: ArrayLike<number>): number[] {
    return this.transformInto(row, new Array<number>(this.means.length));
  }

  /** As transform, of the row starting at `offset` of `values`, into `out` (reused while the universe is scored). */
  transformInto<T extends { [j: number]: number }>(values: ArrayLike<number>, out: T, offset = 0): T {
    for (let j = 0; j < this.means.length; j++) {
      const v = values[offset + j];
      const sd = this.stds[j];
      if (Number.isNaN(v) || sd === 0) out[j] = 0;
      else out[j] = Math.max(-CLIP, Math.min(CLIP, (v - this.means[j]) / sd));
    }
    return out;
  }
}

/**
 * Area under the ROC curve of scores of positives vs negatives: the probability that a random
 * positive scores above a random negative, ties counting one half (Mann–Whitney U with mid-ranks).
 * NaN when either side is empty.
 */
export function auc(positives: readonly number[], negatives: readonly number[]): number {
  const n1 = positives.length;
  const n0 = negatives.length;
  if (n1 === 0 || n0 === 0) return Number.NaN;
  const all = [...positives.map((s) => ({ s, p: true })), ...negatives.map((s) => ({ s, p: false }))].sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].s === all[i].s) j++;
    const midRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (all[k].p) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

/** Share of scores at or above the threshold (recall of held-out seed people at the chosen size). */
export function recallAt(scores: readonly number[], threshold: number): number {
  if (scores.length === 0) return Number.NaN;
  return scores.filter((s) => s >= threshold).length / scores.length;
}

/** Splits rows already in random order: the first `fraction` (rounded down, at least 1 when possible) is held out. */
export function holdOut<T>(rows: readonly T[], fraction = 0.2): { train: T[]; holdout: T[] } {
  const n = rows.length >= 2 ? Math.max(1, Math.floor(rows.length * fraction)) : 0;
  return { holdout: rows.slice(0, n), train: rows.slice(n) };
}

/** A trained model: weights[0] is the intercept, weights[1..] belong to the standardised features. */
export class LookalikeModel {
  constructor(readonly weights: readonly number[]) {}

  /** Linear scores w·[1, x] of standardised rows. */
  scores(rows: readonly (readonly number[])[]): number[] {
    if (rows.length === 0) return [];
    const x = new Matrix(rows.map((r) => [1, ...r]));
    return x.mmul(Matrix.columnVector([...this.weights])).to1DArray();
  }

  /**
   * The score of one standardised row, without copying it into a matrix: the same sum in the same
   * order as `scores` (ml-matrix's mmul), so the same number.
   */
  score(row: ArrayLike<number>): number {
    const w = this.weights;
    let s = 0;
    s += w[0];
    for (let k = 1; k < w.length; k++) s += row[k - 1] * w[k];
    return s;
  }
}

/**
 * Logistic regression of positives (label 1) vs negatives (label 0) on standardised rows.
 * Throws when either class is empty.
 */
export function train(
  positives: readonly (readonly number[])[],
  negatives: readonly (readonly number[])[],
  opts: { steps?: number; stepSize?: number } = {},
): LookalikeModel {
  if (positives.length === 0 || negatives.length === 0) throw new Error('training needs seed and non-seed people');
  const x = new Matrix([...positives, ...negatives].map((r) => [1, ...r]));
  const labels = [...positives.map(() => 1), ...negatives.map(() => 0)];
  const step = Math.min(opts.stepSize ?? DEFAULT_STEP_SIZE, 4 / largestEigenvalue(x));
  const regression = new LogisticRegression({ numSteps: opts.steps ?? DEFAULT_STEPS, learningRate: step / x.rows });
  regression.train(x, Matrix.columnVector(labels));
  // One-vs-all over {0, 1}: classifier 0 was trained with target 1 for every row not of class 0,
  // i.e. it models P(seed).
  return new LookalikeModel(regression.classifiers[0].weights.to1DArray());
}

/** The largest eigenvalue of XᵀX/n (power iteration; XᵀX is symmetric positive semi-definite). */
export function largestEigenvalue(x: Matrix, iterations = 30): number {
  const xt = x.transpose();
  let v = Matrix.ones(x.columns, 1);
  let lambda = 0;
  for (let i = 0; i < iterations; i++) {
    const w = xt.mmul(x.mmul(v)).div(x.rows);
    lambda = w.norm();
    if (lambda === 0) return 0;
    v = w.div(lambda);
  }
  return lambda;
}

/**
 * The best `capacity` scores seen with their people, ranked as `order by score desc, person_id`
 * (ids are decimal bigint strings): a binary heap whose root is the worst one kept, so the universe
 * is scored without storing every score.
 */
export class TopScores {
  private readonly values: Float64Array;
  private readonly people: string[] = [];
  private size = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(Math.max(0, capacity));
  }

  get length(): number {
    return this.size;
  }

  add(person: string, score: number): void {
    if (this.size < this.capacity) {
      let i = this.size++;
      // Sift up: a parent is never better than its children.
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!ranksBefore(this.values[parent], this.people[parent], score, person)) break;
        this.values[i] = this.values[parent];
        this.people[i] = this.people[parent];
        i = parent;
      }
      this.values[i] = score;
      this.people[i] = person;
    } else if (this.capacity > 0 && ranksBefore(score, person, this.values[0], this.people[0])) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= this.size) break;
        const right = left + 1;
        const worse = right < this.size && ranksBefore(this.values[left], this.people[left], this.values[right], this.people[right]) ? right : left;
        if (!ranksBefore(score, person, this.values[worse], this.people[worse])) break;
        this.values[i] = this.values[worse];
        this.people[i] = this.people[worse];
        i = worse;
      }
      this.values[i] = score;
      this.people[i] = person;
    }
  }

  /** The kept people and scores, best first. */
  ranked(): { people: string[]; scores: number[] } {
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) =>
      ranksBefore(this.values[a], this.people[a], this.values[b], this.people[b]) ? -1 : ranksBefore(this.values[b], this.people[b], this.values[a], this.people[a]) ? 1 : 0,
    );
    return { people: order.map((i) => this.people[i]), scores: order.map((i) => this.values[i]) };
  }
}

/** Whether (score a, person a) comes before (score b, person b) in `order by score desc, person_id`. */
function ranksBefore(scoreA: number, personA: string, scoreB: number, personB: string): boolean {
  if (scoreA !== scoreB) return scoreA > scoreB;
  return personA.length !== personB.length ? personA.length < personB.length : personA < personB;
}
