/**
 * What a handler did with an event: `processed` (an effect, or a recorded skip with a note), `ignored` (why), or
 * `needs_attention` (the event was understood, e.g. a paid purchase, but its effect could not be granted; the note
 * says why, and the ledger row lists it for admins).
 */
export interface HandlerOutcome {
  status: 'processed' | 'ignored' | 'needs_attention';
  note?: string;
}

export const processed = (note?: string): HandlerOutcome => ({ status: 'processed', ...(note && { note }) });
export const ignored = (note: string): HandlerOutcome => ({ status: 'ignored', note });
export const needsAttention = (note: string): HandlerOutcome => ({ status: 'needs_attention', note });
