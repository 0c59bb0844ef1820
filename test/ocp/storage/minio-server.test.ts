/**
 * The MinIO test server itself (test/helpers/minio.ts): the object-storage
 * suites rest on it starting live, refusing unsigned requests as real S3 does,
 * and being gone once stopped, so no server outlives a test run.
 */
import assert from "node:assert/strict";
import { requireMinio, startMinio, type MinioServer } from "../../helpers/minio.js";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("MinIO test server", function () {
  this.timeout(25 * 60_000);
  let binary: string;
  before(function () {
    binary = requireMinio(this);
  });

  it("is live on loopback, refuses an unsigned request, and is gone after stop", async function () {
    const server: MinioServer = await startMinio(binary);
    try {
      assert.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await fetch(`${server.endpoint}/minio/health/live`)).status, 200);
      const unsigned = await fetch(`${server.endpoint}/`);
      assert.equal(unsigned.status, 403);
      assert.match(await unsigned.text(), /<Code>AccessDenied<\/Code>/);
    } finally {
      await server.stop();
    }
    assert.equal(processAlive(server.pid), false);
    await assert.rejects(fetch(`${server.endpoint}/minio/health/live`));
  });
});
