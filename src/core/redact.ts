/**
 * Credentials never reach an archive, a log or an error message. Every URL or message that may
 * carry one goes through here first.
 *
 * A URL can carry a credential in three places: the user part (`https://TOKEN@host`, where a
 * token often stands alone, with no password), the password, and the query or fragment
 * (`?api-key=…`, `?access_token=…`, AWS presigned `X-Amz-Signature`/`X-Amz-Credential`, Azure SAS
 * `sig=`). The user part is replaced whole; a parameter is replaced when its name looks like a
 * credential. Matching names by fragments over-redacts harmless parameters now and then
 * (`monkey=`), which is the safe side.
 */
const SECRET_NAME = /key|token|secret|pass|pwd|signature|credential|auth|session|^sig$|^code$/i;

const MASK = '***';

/** Whether a query or fragment parameter of this name may hold a credential. */
export function isSecretParam(name: string): boolean {
  return SECRET_NAME.test(name);
}

function redactParams(params: URLSearchParams): boolean {
  let changed = false;
  for (const k of new Set(params.keys())) {
    if (isSecretParam(k)) {
      params.set(k, MASK);
      changed = true;
    }
  }
  return changed;
}

/** The URL with its user part, password and credential-looking query/fragment parameters masked. */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return redactUrlsInText(raw);
  }
  if (u.username || u.password) {
    u.username = MASK;
    u.password = '';
  }
  if (u.search) {
    const params = new URLSearchParams(u.search);
    if (redactParams(params)) u.search = params.toString();
  }
  if (u.hash.includes('=')) {
    const params = new URLSearchParams(u.hash.slice(1));
    if (redactParams(params)) u.hash = params.toString();
  }
  return u.toString();
}

/** Masks user parts and credential parameters of every URL-like piece of a text. */
function redactUrlsInText(text: string): string {
  return text
    .replace(/(\/\/)[^/?#@\s]*@/g, `$1${MASK}@`)
    .replace(/([?&#;]\s*)([A-Za-z0-9_.-]+)=([^&#\s"']*)/g, (all, lead: string, name: string) => (isSecretParam(name) ? `${lead}${name}=${MASK}` : all));
}

/** Replaces every occurrence of the given secrets in a text (for error messages from clients), and every credential in a URL in it. */
export function redactText(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join(MASK);
  return redactUrlsInText(out);
}
