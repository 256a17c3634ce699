import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { chromaHealthCheckCommand } from '../src/chroma.js';

/**
 * The Fargate task's health check command run for real: the same bash script against a local
 * HTTP server standing in for Chroma's heartbeat (the official image has bash but no HTTP client,
 * so the script must speak HTTP itself; this proves it does).
 */
describe('Chroma container health check command', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(statusFor: (path: string) => number): Promise<{ port: number; paths: string[] }> {
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.statusCode = statusFor(req.url ?? '');
      res.end('{"nanosecond heartbeat":1}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { port: (server!.address() as AddressInfo).port, paths };
  }

  // Asynchronous: the server answering the check lives in this process's event loop.
  async function run(port: number): Promise<number> {
    const [cmd, shell, flag, script] = chromaHealthCheckCommand(port);
    expect([cmd, shell, flag]).toEqual(['CMD', '/bin/bash', '-c']);
    return new Promise((resolve) => {
      const child = execFile(shell!, [flag!, script!], { timeout: 20_000 });
      child.on('exit', (code) => resolve(code ?? -1));
    });
  }

  it('passes when the heartbeat answers 200, asking for /api/v2/heartbeat', async () => {
    const { port, paths } = await serve(() => 200);
    expect(await run(port)).toBe(0);
    expect(paths).toEqual(['/api/v2/heartbeat']);
  });

  it('fails when the server answers an error, or nothing listens', async () => {
    const { port } = await serve(() => 500);
    expect(await run(port)).not.toBe(0);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await run(port)).not.toBe(0);
  });
});
