/**
 * Live updates: the console keeps `GET /events` open (Server-Sent Events fed from the audit
 * stream, docs/api.md) and says "requests changed" on each event, so the list and the open pane
 * read again within moments of a change anywhere.
 *
 * Read with fetch() and a stream reader, not EventSource: EventSource cannot send the
 * Authorization header, so it would need the token in the URL (where server and proxy logs,
 * history and Referer keep it) or a cookie (which the API does not take, and which would need
 * CSRF defences). fetch() sends the same header as every other call.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiClient } from './api-client';
import type { LiveEvent } from './api-types';

export type LiveState = 'connecting' | 'live' | 'offline';

/** First wait before reconnecting; it doubles up to MAX_RETRY_MS while the stream keeps failing. */
const RETRY_MS = 2000;
const MAX_RETRY_MS = 30_000;
/** Longest event the console reads; anything longer is not the API's and ends the stream. */
const MAX_EVENT_CHARS = 64 * 1024;

export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Splits stream text into complete events (the text/event-stream format); returns them and the
 * unfinished rest. Comment lines (`: keep-alive`) and `retry:` are skipped.
 * @example parseEvents('event: ready\ndata: {}\n\nevent: req') // { events: [{ event: 'ready', data: '{}' }], rest: 'event: req' }
 */
export function parseEvents(text: string): { events: ServerSentEvent[]; rest: string } {
  const normalised = text.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: ServerSentEvent[] = [];
  for (const block of blocks) {
    const event: ServerSentEvent = { event: 'message', data: '' };
    let hasData = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
      else if (field === 'data') {
        event.data += (hasData ? '\n' : '') + value;
        hasData = true;
      }
    }
    if (hasData) events.push(event);
  }
  return { events, rest };
}

async function readStream(response: Response, onEvent: (event: ServerSentEvent) => void): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const { events, rest } = parseEvents(buffer);
    if (rest.length > MAX_EVENT_CHARS) throw new Error('event stream: an event is too long');
    buffer = rest;
    events.forEach(onEvent);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * Keeps the event stream open while the signed-in console is shown, reconnecting with backoff.
 * @param onChange called with each request event, and with null after a reconnect (anything may have changed)
 * @param onUnauthorized called when the gateway no longer accepts the token (the console signs out)
 * @example const live = useLiveUpdates(api, () => changed(), () => signOut('expired'));
 */
export function useLiveUpdates(api: ApiClient, onChange: (event: LiveEvent | null) => void, onUnauthorized: () => void): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  // The latest callbacks, without reopening the stream when they change.
  const callbacks = useRef({ onChange, onUnauthorized });
  callbacks.current = { onChange, onUnauthorized };

  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      let retryMs = RETRY_MS;
      let connectedBefore = false;
      while (!abort.signal.aborted) {
        setState('connecting');
        let wait = retryMs;
        try {
          const response = await api.openEvents(abort.signal);
          await readStream(response, (event) => {
            if (event.event === 'ready') {
              setState('live');
              retryMs = RETRY_MS;
              // Whatever changed while the stream was down was not announced: read everything again.
              if (connectedBefore) callbacks.current.onChange(null);
              connectedBefore = true;
            } else if (event.event === 'request') {
              try {
                callbacks.current.onChange(JSON.parse(event.data) as LiveEvent);
              } catch {
                // Not an event of this API: ignored.
              }
            }
          });
          // The gateway ended the stream (its lifetime, or a drain): reconnect at once.
          wait = 0;
        } catch (error) {
          if (abort.signal.aborted) return;
          if (error instanceof ApiError && error.status === 401) return callbacks.current.onUnauthorized();
          // Another tab holds the streams this user may open: wait longer before asking again.
          if (error instanceof ApiError && error.status === 429) wait = retryMs = MAX_RETRY_MS;
        }
        if (abort.signal.aborted) return;
        if (wait > 0) {
          setState('offline');
          await sleep(wait, abort.signal);
          retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
        }
      }
    })();
    return () => abort.abort();
  }, [api]);
  return state;
}
