/**
 * The API against its two ceilings, as `bench:webhooks` and `bench:limits` print it: the same-work ceiling (the API's
 * own statements without the framework) and the bare one-statement server (bench/bare-servers.ts). Each server's
 * figure is its turns' total over their seconds; p99 is its worst turn's.
 */
export interface ServerFigure {
  rate: number;
  p99: number;
  perTurn: number[];
}

export function ceilingReport(unit: string, api: ServerFigure, ceilings: { name: string; figure: ServerFigure }[]): string {
  const lines = ceilings.map(({ name, figure }) => {
    const turns = api.perTurn.map((a, i) => `${Math.round((100 * a) / figure.perTurn[i])}%`).join(', ');
    return `API / ${name}: ${((100 * api.rate) / figure.rate).toFixed(1)}% (aim >= 70%), p99 ${api.p99} ms = ${(api.p99 / figure.p99).toFixed(2)}x its ${figure.p99} ms (aim <= 2x); turn by turn ${turns}`;
  });
  const rates = [`API ${api.perTurn.map(Math.round).join(', ')}`, ...ceilings.map(({ name, figure }) => `${name} ${figure.perTurn.map(Math.round).join(', ')}`)];
  return [...lines, `turns (${unit}): ${rates.join('; ')}`].join('\n');
}
