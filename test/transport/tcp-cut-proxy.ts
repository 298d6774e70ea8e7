/**
 * A TCP proxy on 127.0.0.1 that forwards to an upstream and can cut a connection after the
 * upstream has sent N bytes to the client (a dropped download in the middle of a body).
 */
import net from 'node:net';
import { once } from 'node:events';

export interface CutProxy {
  endpoint: string;
  /** Cut the next `times` connections once each has carried `bytes` bytes from upstream to client. */
  cutAfter(bytes: number, times?: number): void;
  cuts(): number;
  /** The store becomes unreachable: open connections are reset, new ones refused. */
  down(): Promise<void>;
  /** Reachable again, on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startCutProxy(upstreamPort: number): Promise<CutProxy> {
  let armed = 0;
  let limit = 0;
  let cuts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let cutHere = false;
    let sent = 0;
    client.on('data', (b) => upstream.write(b));
    upstream.on('data', (b: Buffer) => {
      if (!cutHere && armed > 0 && sent + b.length > limit) {
        // Only a connection that carries a large response is cut; the budget is consumed here.
        armed--;
        cutHere = true;
      }
      if (cutHere && sent + b.length > limit) {
        client.write(b.subarray(0, Math.max(0, limit - sent)));
        cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      sent += b.length;
      client.write(b);
    });
    const end = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cutAfter(bytes, times = 1) {
      limit = bytes;
      armed = times;
    },
    cuts: () => cuts,
    async down() {
      server.close();
      for (const s of sockets) s.destroy();
      await once(server, 'close');
    },
    async up() {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) {
        server.close();
        await once(server, 'close');
      }
    },
  };
}
