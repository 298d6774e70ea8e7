/** Every credential is removed from URLs and messages: user parts, passwords and credential parameters. */
import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../src/core/redact.ts';

describe('redactUrl', () => {
  it.each([
    ['https://TOKEN123@qdrant.example:6333', 'https://***@qdrant.example:6333/'],
    ['https://user:pa55word@qdrant.example/', 'https://***@qdrant.example/'],
    ['redis://:s3cret@127.0.0.1:6379', 'redis://***@127.0.0.1:6379'],
    ['redis://default:s3cret@127.0.0.1:6379/0', 'redis://***@127.0.0.1:6379/0'],
    ['https://h.example/?api-key=K1&x=1', 'https://h.example/?api-key=***&x=1'],
    ['https://h.example/?apikey=K1&API_KEY=K2', 'https://h.example/?apikey=***&API_KEY=***'],
    ['https://h.example/p?token=T&access_token=A&password=P&other=fine', 'https://h.example/p?token=***&access_token=***&password=***&other=fine'],
    ['https://h.example/cb#access_token=A&state=s', 'https://h.example/cb#access_token=***&state=s'],
    ['https://azure.example/c?sv=2020&sig=SIG', 'https://azure.example/c?sv=2020&sig=***'],
  ])('%s → %s', (raw, safe) => {
    expect(redactUrl(raw)).toBe(safe);
  });

  it('removes every part of an AWS presigned URL that authenticates it', () => {
    const presigned = 'https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=SESSIONTOKEN&X-Amz-Signature=abcdef0123&X-Amz-SignedHeaders=host';
    const safe = redactUrl(presigned);
    for (const secret of ['AKIAEXAMPLE', 'SESSIONTOKEN', 'abcdef0123']) expect(safe).not.toContain(secret);
    expect(safe).toContain('X-Amz-Expires=900');
  });

  it('masks a user part even when the text is not a parseable URL', () => {
    expect(redactUrl('http://TOKEN@[bad')).not.toContain('TOKEN');
  });

  it('leaves a URL without credentials as it was', () => {
    expect(redactUrl('http://127.0.0.1:6333')).toBe('http://127.0.0.1:6333/');
    expect(redactUrl('https://h.example/?limit=10')).toBe('https://h.example/?limit=10');
  });
});

describe('redactText', () => {
  it('masks given secrets and credentials in URLs inside a message', () => {
    const msg = 'connect https://TOKEN9@h.example:6333/x?api-key=K9 failed (password hunter22)';
    const safe = redactText(msg, ['hunter22']);
    for (const secret of ['TOKEN9', 'K9', 'hunter22']) expect(safe).not.toContain(secret);
    expect(safe).toContain('h.example:6333');
  });
});
