import { describe, expect, it } from 'vitest';
import { startChromaServer } from '../src/chroma/index.js';

describe('startChromaServer', () => {
  it('serves a heartbeat on 127.0.0.1 and is gone after stop()', async () => {
    const server = await startChromaServer();
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      const response = await fetch(`${server.url}/api/v2/heartbeat`);
      expect(response.ok).toBe(true);
    } finally {
      await server.stop();
    }
    await expect(fetch(`${server.url}/api/v2/heartbeat`)).rejects.toThrow();
    await server.stop(); // idempotent
  });

  it(
    'crash() refuses connections at once; restart() serves the same data on the same port',
    { timeout: 120_000 },
    async () => {
      const server = await startChromaServer({ startupTimeoutMs: 60_000 });
      try {
        const created = await fetch(
          `${server.url}/api/v2/tenants/default_tenant/databases/default_database/collections`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'survives_crash' }),
          },
        );
        expect(created.ok).toBe(true);
        await server.crash();
        await expect(fetch(`${server.url}/api/v2/heartbeat`)).rejects.toThrow();
        await server.restart();
        const listed = await fetch(
          `${server.url}/api/v2/tenants/default_tenant/databases/default_database/collections`,
        );
        const names = ((await listed.json()) as { name: string }[]).map((c) => c.name);
        expect(names).toContain('survives_crash');
      } finally {
        await server.stop();
      }
      await expect(server.restart()).rejects.toThrow(/stopped/);
    },
  );
});
