/**
 * A minimal Server-Sent Events reader over fetch (Node has no EventSource): yields each message
 * of a `text/event-stream` as {event, data, id}, until the stream ends or `signal` aborts. Used
 * by the benchmark and the tests to watch the cluster map as the page does.
 */
export interface SseMessage {
  event: string;
  data: string;
  id: string | undefined;
}

export async function* readSse(url: string | URL, signal?: AbortSignal): AsyncGenerator<SseMessage> {
  const res = await fetch(url, { headers: { Accept: 'text/event-stream' }, signal });
  if (!res.ok || !res.body) throw new Error(`${String(url)} answered ${res.status}`);
  const decoder = new TextDecoder();
  let buf = '';
  let msg: SseMessage = { event: 'message', data: '', id: undefined };
  let hasData = false;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line === '') {
        if (hasData) yield msg;
        msg = { event: 'message', data: '', id: undefined };
        hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') msg.event = value;
      else if (field === 'id') msg.id = value;
      else if (field === 'data') {
        msg.data = hasData ? `${msg.data}\n${value}` : value;
        hasData = true;
      }
    }
  }
}
