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
});
