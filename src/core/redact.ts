/**
 * Credentials never reach an archive, a log or an error message. Every URL or message that may
 * carry one goes through here first.
 */
const SECRET_PARAMS = /^(api[-_]?key|apikey|key|token|access[-_]?token|password|passwd|pass|secret|signature|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

/** Removes userinfo passwords and secret-looking query parameters from a URL. */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return raw.replace(/\/\/[^/@\s]*@/, '//***@');
  }
  if (u.password) u.password = '***';
  for (const k of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(k)) u.searchParams.set(k, '***');
  return u.toString();
}

/** Replaces every occurrence of the given secrets in a text (for error messages from clients). */
export function redactText(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***');
  return out.replace(/(\/\/[^/:@\s]*:)[^/@\s]+@/g, '$1***@');
}
