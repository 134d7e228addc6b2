/**
 * Straight-line fits of a daily series (x = days since the first snapshot, y = the metric).
 *
 * Why this shape: the snapshots are counters that grow roughly linearly over a 30–90-day window, so a line is
 * the model; the forecast must use every day, not the two ends, so it is least squares. A bare least-squares
 * line is dragged by a single odd day, and odd days sit exactly where they hurt most, at the ends (the first
 * snapshot after an import, a half-finished last day), where their leverage is highest. So `fitTrend` is least
 * squares with one trimming step: a robust reference line (Theil–Sen: the median of all pairwise slopes, which
 * ignores up to ~29 % bad points) marks the points that sit more than 3.5 robust standard deviations (1.4826 ×
 * the median absolute residual) from it; those are set aside and least squares is fitted again over the rest.
 * The final line is therefore still an ordinary least-squares line, over the points that follow the trend, and
 * its r² is a familiar number. The fit over all points is returned beside it, so nothing is hidden.
 */
export interface Point {
  x: number;
  y: number;
}

export interface LineFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination of the fitted points; null with fewer than 3 points (a line through 2 says nothing). */
  r_squared: number | null;
  n: number;
}

export interface TrendFit extends LineFit {
  method: 'least_squares' | 'least_squares_trimmed';
  /** Indexes (into the input) of the points set aside as outliers. */
  outliers: number[];
  /** Plain least squares over every point, for comparison. */
  all: LineFit;
}

/** Fewer points than this and no point is called an outlier: there is no majority to disagree with. */
const MIN_POINTS_FOR_TRIMMING = 5;
/** Residual cut in robust standard deviations. */
const OUTLIER_SIGMAS = 3.5;
/** Never set aside more than this share of the points: past it the data are not a line with a few odd days. */
const MAX_OUTLIER_SHARE = 0.3;
/**
 * Deviations below 5 % of the typical value, or below one unit, are never outliers: a flat counter has a zero
 * median deviation, and its next vendor is growth, not an odd day.
 */
const MIN_RELATIVE_CUT = 0.05;
const MIN_ABSOLUTE_CUT = 1;
const MAD_TO_SIGMA = 1.4826;

/** Ordinary least squares over all points. Throws on no points; a single point or a single x gives a flat line. */
export function leastSquares(points: readonly Point[]): LineFit {
  const n = points.length;
  if (n === 0) throw new Error('leastSquares needs at least one point');
  let sx = 0, sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (const p of points) {
    const dx = p.x - mx, dy = p.y - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  return { slope, intercept, r_squared: n < 3 ? null : rSquared(points, slope, intercept, syy), n };
}

/**
 * Theil–Sen slope: the median of the slopes between every pair of points with different x. A year of days is
 * 66,430 pairs: kept in a Float64Array, and their median found by selection (linear time) rather than a sort.
 */
export function theilSenSlope(points: readonly Point[]): number {
  const n = points.length;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = points[j].x - points[i].x;
      if (dx !== 0) slopes[k++] = (points[j].y - points[i].y) / dx;
    }
  }
  return k === 0 ? 0 : medianInPlace(slopes.subarray(0, k));
}

/** The trend of a series: least squares, refitted without the points a robust line marks as outliers. */
export function fitTrend(points: readonly Point[]): TrendFit {
  const all = leastSquares(points);
  const plain: TrendFit = { ...all, method: 'least_squares', outliers: [], all };
  if (points.length < MIN_POINTS_FOR_TRIMMING) return plain;

  const slope = theilSenSlope(points);
  const intercept = median(points.map((p) => p.y - slope * p.x));
  const residuals = points.map((p) => Math.abs(p.y - (intercept + slope * p.x)));
  const sigma = MAD_TO_SIGMA * median(residuals);
  const cut = Math.max(OUTLIER_SIGMAS * sigma, MIN_RELATIVE_CUT * median(points.map((p) => Math.abs(p.y))), MIN_ABSOLUTE_CUT);
  const outliers = residuals.flatMap((r, i) => (r > cut ? [i] : []));
  if (outliers.length === 0 || outliers.length > points.length * MAX_OUTLIER_SHARE) return plain;

  const kept = points.filter((_, i) => !outliers.includes(i));
  return { ...leastSquares(kept), method: 'least_squares_trimmed', outliers, all };
}

/** The fitted value at x. */
export function valueAt(fit: Pick<LineFit, 'slope' | 'intercept'>, x: number): number {
  return fit.intercept + fit.slope * x;
}

/**
 * The x at which the fitted line reaches `target`, searching forward from `fromX`: fromX itself when it is
 * already there, null when the line never gets there (flat or moving away).
 */
export function xWhenReaching(fit: Pick<LineFit, 'slope' | 'intercept'>, target: number, fromX: number): number | null {
  const now = valueAt(fit, fromX);
  if (now >= target) return fromX;
  if (fit.slope <= 0) return null;
  return (target - fit.intercept) / fit.slope;
}

export function median(values: ArrayLike<number>): number {
  return values.length === 0 ? 0 : medianInPlace(Float64Array.from(values));
}

/** The median of a non-empty array, reordering it (quickselect: linear time on average). */
function medianInPlace(a: Float64Array): number {
  const mid = a.length >> 1;
  const upper = select(a, mid);
  if (a.length % 2) return upper;
  // Everything left of `mid` is now ≤ upper: the lower middle is their maximum.
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** Puts the k-th smallest value at index k (smaller before it, larger after) and returns it. */
function select(a: Float64Array, k: number): number {
  let left = 0, right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1];
    let i = left, j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}

function rSquared(points: readonly Point[], slope: number, intercept: number, syy: number): number {
  let ssRes = 0;
  for (const p of points) {
    const r = p.y - (intercept + slope * p.x);
    ssRes += r * r;
  }
  // A flat series fitted exactly is a perfect fit, not 0/0.
  if (syy === 0) return ssRes === 0 ? 1 : 0;
  return Math.max(0, 1 - ssRes / syy);
}
