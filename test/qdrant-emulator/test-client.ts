/** A raw REST client for black-box tests: keeps the response text so exact ids can be checked. */
import { parseJson } from './json.ts';
import { qdrantHeaders } from '../helpers/qdrant.ts';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed with integers above 2^53 as bigint; undefined when it is not JSON. */
  json: any;
}

export function restClient(url: string, apiKey?: string) {
  return async function call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RawResponse> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...qdrantHeaders(apiKey), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = parseJson(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
}
