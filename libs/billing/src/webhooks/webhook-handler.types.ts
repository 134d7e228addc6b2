/** What a handler did with an event: `processed` (an effect, or a recorded skip with a note) or `ignored` (why). */
export interface HandlerOutcome {
  status: 'processed' | 'ignored';
  note?: string;
}

export const processed = (note?: string): HandlerOutcome => ({ status: 'processed', ...(note && { note }) });
export const ignored = (note: string): HandlerOutcome => ({ status: 'ignored', note });
