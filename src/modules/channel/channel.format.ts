import { createHmac } from 'node:crypto';
import { ChannelKind } from './channel.entity';

/** What a sender needs of a delivery and its channel. */
export interface Outgoing {
  deliveryId: string;
  kind: ChannelKind;
  url: string;
  secret: string | null;
  event: string;
  eventSeq: string;
  eventType: string;
  title: string;
  text: string;
  payload: Record<string, unknown>;
}

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * DingTalk's signature (加签): base64 of HMAC-SHA256 over "timestamp\nsecret", keyed with the
 * secret; the URL gets `timestamp` (ms) and `sign` (URL-encoded), as DingTalk documents it.
 */
export function dingTalkSign(secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

/** The generic webhook's signature header value: `sha256=` and the hex HMAC-SHA256 of the raw body. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The HTTP request of one attempt, in the channel's format. `now` is the time of the attempt (DingTalk's timestamp). */
export function formatRequest(out: Outgoing, now: number): HttpRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'x-duban-delivery': out.deliveryId, 'x-duban-event': out.event };
  const footer = `\n\n> 投递编号 ${out.deliveryId}`;
  switch (out.kind) {
    case ChannelKind.DINGTALK: {
      const url = new URL(out.url);
      if (out.secret) {
        url.searchParams.set('timestamp', String(now));
        url.searchParams.set('sign', dingTalkSign(out.secret, now));
      }
      const body = JSON.stringify({ msgtype: 'markdown', markdown: { title: out.title, text: `${out.text}${footer}` } });
      return { url: url.toString(), headers, body };
    }
    case ChannelKind.WECOM: {
      const body = JSON.stringify({ msgtype: 'markdown', markdown: { content: `${out.text}${footer}` } });
      return { url: out.url, headers, body };
    }
    case ChannelKind.WEBHOOK: {
      const body = JSON.stringify({
        deliveryId: out.deliveryId, event: out.event, type: out.eventType, seq: out.eventSeq, title: out.title, text: out.text, payload: out.payload,
      });
      if (out.secret) headers['x-duban-signature'] = webhookSignature(out.secret, body);
      return { url: out.url, headers, body };
    }
  }
}

/**
 * Whether the receiver took it: a 2xx, and for the robots an `errcode` of 0 (DingTalk and WeCom
 * answer 200 with an error code when they refuse). Otherwise the reason, without the URL.
 */
export function judgeAnswer(kind: ChannelKind, status: number, text: string): string | undefined {
  const start = text.slice(0, 200).replace(/\s+/g, ' ');
  if (status < 200 || status >= 300) return `HTTP ${status}${start ? `: ${start}` : ''}`;
  if (kind === ChannelKind.WEBHOOK) return undefined;
  try {
    const answer = JSON.parse(text) as { errcode?: number; errmsg?: string };
    if (answer.errcode !== undefined && answer.errcode !== 0) return `errcode ${answer.errcode}: ${String(answer.errmsg ?? '').slice(0, 200)}`;
  } catch {
    return `HTTP ${status}: not JSON: ${start}`;
  }
  return undefined;
}

/** A URL as GraphQL shows it: the values of its query (a robot's access token) hidden. */
export function redactedUrl(raw: string): string {
  try {
    const url = new URL(raw);
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '';
  }
}
