import { fitTrend, leastSquares, median, theilSenSlope, valueAt, xWhenReaching, type Point } from './trend-fit.js';

/** y = intercept + slope·x for x = 0 … n−1. */
const line = (n: number, intercept: number, slope: number): Point[] => Array.from({ length: n }, (_, x) => ({ x, y: intercept + slope * x }));

describe('least squares over all points', () => {
  it('recovers an exact line with r² = 1', () => {
    const fit = leastSquares(line(30, 100, 2));
    expect(fit.slope).toBeCloseTo(2, 10);
    expect(fit.intercept).toBeCloseTo(100, 10);
    expect(fit.r_squared).toBeCloseTo(1, 10);
    expect(fit.n).toBe(30);
  });

  it('matches a worked example: (0,1) (1,3) (2,2) (3,5) (4,4)', () => {
    // x̄ = 2, ȳ = 3, Sxy = 8, Sxx = 10 → slope 0.8, intercept 1.4; SSres = 3.6, SStot = 10 → r² = 0.64.
    const fit = leastSquares([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 2 }, { x: 3, y: 5 }, { x: 4, y: 4 }]);
    expect(fit.slope).toBeCloseTo(0.8, 10);
    expect(fit.intercept).toBeCloseTo(1.4, 10);
    expect(fit.r_squared).toBeCloseTo(0.64, 10);
  });

  it('uses every point, not the two ends', () => {
    // The ends say +10 over 10 days; the eleven days between say it is flat apart from them.
    const points = line(11, 50, 0).map((p) => ({ ...p }));
    points[10].y = 60;
    const fit = leastSquares(points);
    expect(fit.slope).toBeCloseTo(0.4545, 3); // Sxy = 5·10 … not 1.0 as first-to-last would say
  });

  it('gives a flat line and no r² for two points at one x, and r² = 1 for a flat series', () => {
    expect(leastSquares([{ x: 3, y: 1 }, { x: 3, y: 5 }])).toMatchObject({ slope: 0, intercept: 3, r_squared: null });
    expect(leastSquares(line(5, 7, 0)).r_squared).toBe(1);
  });

  it('is pulled off the line by outliers at the ends', () => {
    const points = line(30, 100, 2);
    points[0].y = 300;
    points[29].y = 0;
    const fit = leastSquares(points);
    expect(fit.slope).toBeLessThan(1); // the true slope is 2: this is why fitTrend trims
  });
});

describe('the trend fit (least squares with a trimming step)', () => {
  it('follows the line, not the ends, when both ends are outliers', () => {
    const points = line(30, 100, 2);
    points[0].y = 300; // an import on the first day
    points[29].y = 0; // a half-written last day
    const fit = fitTrend(points);
    expect(fit.method).toBe('least_squares_trimmed');
    expect(fit.outliers).toEqual([0, 29]);
    expect(fit.slope).toBeCloseTo(2, 10);
    expect(fit.intercept).toBeCloseTo(100, 10);
    expect(fit.r_squared).toBeCloseTo(1, 10);
    expect(fit.n).toBe(28);
    expect(fit.all.slope).toBeLessThan(1);
    expect(fit.all.n).toBe(30);
  });

  it('follows a noisy line with one spike at the end', () => {
    const noise = [0.8, -1.1, 0.3, -0.4, 1.2, -0.9, 0.1, 0.6, -0.7, 0.2, -1.3, 0.9, -0.2, 0.4, -0.6, 1.0, -0.8, 0.5, -0.1, 0.7];
    const points = noise.map((e, x) => ({ x, y: 200 + 3 * x + e }));
    points.push({ x: 20, y: 900 });
    const fit = fitTrend(points);
    expect(fit.outliers).toEqual([20]);
    expect(fit.slope).toBeGreaterThan(2.8);
    expect(fit.slope).toBeLessThan(3.2);
    expect(fit.r_squared!).toBeGreaterThan(0.99);
  });

  it('keeps every point of a clean noisy line (plain least squares)', () => {
    const points = line(20, 10, 1).map((p, i) => ({ x: p.x, y: p.y + (i % 2 ? 0.5 : -0.5) }));
    const fit = fitTrend(points);
    expect(fit.method).toBe('least_squares');
    expect(fit.outliers).toEqual([]);
    expect(fit).toMatchObject({ slope: fit.all.slope, intercept: fit.all.intercept, n: 20 });
  });

  it('never calls a small step in a flat counter an outlier', () => {
    // 20 days at 40 vendors, then 41 and 42: the median absolute residual is 0, but a vendor or two is no outlier.
    const points = [...line(20, 40, 0), { x: 20, y: 41 }, { x: 21, y: 42 }];
    expect(fitTrend(points).outliers).toEqual([]);
  });

  it('does not trim when too many points disagree with the line (a change of regime, not outliers)', () => {
    const points = [...line(10, 10, 1), ...line(10, 100, 10).map((p) => ({ x: p.x + 10, y: p.y }))];
    const fit = fitTrend(points);
    expect(fit.method).toBe('least_squares');
  });

  it('does not trim fewer than five points', () => {
    const fit = fitTrend([{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 100 }]);
    expect(fit.method).toBe('least_squares');
    expect(fit.outliers).toEqual([]);
  });
});

describe('helpers', () => {
  it('takes the median of odd and even lists, and Theil–Sen ignores a few bad pairs', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // Selection, not a sort: agrees with the sorted middle on awkward inputs (ties, sorted, reversed, lengths).
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) % 1000) / 10;
    for (const length of [1, 2, 3, 10, 11, 100, 101, 1000]) {
      for (const make of [() => rand(), () => Math.floor(rand() / 30)]) {
        const values = Array.from({ length }, make);
        const sorted = [...values].sort((a, b) => a - b);
        const expected = length % 2 ? sorted[length >> 1] : (sorted[length / 2 - 1] + sorted[length / 2]) / 2;
        expect(median(values)).toBe(expected);
        expect(median(sorted)).toBe(expected);
        expect(median([...sorted].reverse())).toBe(expected);
      }
    }
    const points = line(15, 0, 5);
    points[14].y = -1000;
    expect(theilSenSlope(points)).toBe(5);
  });

  it('finds where the fitted line reaches a target', () => {
    const fit = { slope: 2, intercept: 100 };
    expect(valueAt(fit, 10)).toBe(120);
    expect(xWhenReaching(fit, 300, 29)).toBe(100);
    expect(xWhenReaching(fit, 150, 29)).toBe(29); // already there
    expect(xWhenReaching({ slope: 0, intercept: 100 }, 300, 29)).toBeNull();
    expect(xWhenReaching({ slope: -1, intercept: 100 }, 300, 29)).toBeNull();
  });
});
