/**
 * The object-storage test infrastructure itself (test/helpers/s3-servers.ts,
 * test/helpers/fault-proxy.ts): the S3 suites rest on each real server taking
 * signed requests, refusing a wrong key as S3 does, keeping its objects across
 * a crash and restart, and on the proxy failing exactly the requests it is
 * told to and passing the rest through unchanged.
 */
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { FaultProxy } from "../../helpers/fault-proxy.js";
import { createBucket, s3Request, s3ServerKinds, startS3Server, type S3TestServer } from "../../helpers/s3-servers.js";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const kind of s3ServerKinds()) {
  describe(`S3 test server: ${kind}`, function () {
    this.timeout(120_000);
    let server: S3TestServer;
    before(async function () {
      server = await startS3Server(kind);
      await createBucket(server, "bucket");
    });
    after(async function () {
      await server?.stop();
    });

    it("round-trips an object through signed PUT and GET, and refuses a wrong secret key with 403", async function () {
      const body = new Uint8Array(70_000).map((_, i) => (i * 7) % 251);
      assert.equal((await s3Request(server, "PUT", "/bucket/dir/a b+c.bin", { body })).status, 200);
      const got = await s3Request(server, "GET", "/bucket/dir/a b+c.bin");
      assert.equal(got.status, 200);
      assert.deepEqual(new Uint8Array(await got.arrayBuffer()), body);

      const refused = await s3Request({ ...server, secretAccessKey: "not-the-secret" }, "GET", "/bucket/dir/a b+c.bin");
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /<Code>(SignatureDoesNotMatch|AccessDenied)<\/Code>/);
    });

    it("keeps its objects across kill() and restart() on the same endpoint", async function () {
      assert.equal((await s3Request(server, "PUT", "/bucket/survivor", { body: "still here" })).status, 200);
      const crashed = server.pid;
      server.kill();
      await assert.rejects(async () => {
        while (processAlive(crashed)) await new Promise((resolve) => setTimeout(resolve, 20));
        await s3Request(server, "GET", "/bucket/survivor");
      });
      await server.restart();
      assert.notEqual(server.pid, crashed);
      const got = await s3Request(server, "GET", "/bucket/survivor");
      assert.equal(got.status, 200);
      assert.equal(await got.text(), "still here");
    });

    it("behind the fault proxy: a 503, a reset and a truncated read, then clean traffic", async function () {
      const proxy = await FaultProxy.start(server.endpoint);
      try {
        const viaProxy = { ...server, endpoint: proxy.endpoint };
        const body = "0123456789".repeat(1000);
        assert.equal((await s3Request(viaProxy, "PUT", "/bucket/proxied", { body })).status, 200);

        await proxy.failNext(1, { kind: "status", status: 503 }, { method: "GET" });
        const throttled = await s3Request(viaProxy, "GET", "/bucket/proxied");
        assert.equal(throttled.status, 503);
        assert.match(await throttled.text(), /<Code>SlowDown<\/Code>/);

        await proxy.failNext(1, { kind: "reset" });
        await assert.rejects(s3Request(viaProxy, "GET", "/bucket/proxied"));

        await proxy.truncateNext({ method: "GET", urlIncludes: "/bucket/proxied" }, 100);
        const truncated = await s3Request(viaProxy, "GET", "/bucket/proxied");
        assert.equal(truncated.headers.get("content-length"), String(body.length));
        await assert.rejects(truncated.text());

        const clean = await s3Request(viaProxy, "GET", "/bucket/proxied");
        assert.equal(await clean.text(), body);
        assert.deepEqual(
          (await proxy.requests()).map(({ method, status, injected }) => [method, status, injected]),
          [
            ["PUT", 200, null],
            ["GET", 503, "status"],
            ["GET", "reset", "reset"],
            ["GET", 200, "truncate"],
            ["GET", 200, null],
          ],
        );
      } finally {
        await proxy.close();
      }
    });

    it("behind the fault proxy: answers while the main thread is blocked in Atomics.wait, as during a synchronous S3 call", async function () {
      const proxy = await FaultProxy.start(server.endpoint);
      try {
        const signal = new Int32Array(new SharedArrayBuffer(8));
        const client = new Worker(
          `const { workerData: { endpoint, signal } } = require("node:worker_threads");
           fetch(endpoint + "/bucket/blocked").then((r) => r.status, () => -1).then((status) => {
             Atomics.store(signal, 1, status); Atomics.store(signal, 0, 1); Atomics.notify(signal, 0);
           });`,
          { eval: true, workerData: { endpoint: proxy.endpoint, signal } },
        );
        try {
          assert.equal(Atomics.wait(signal, 0, 0, 20_000), "ok", "the request through the proxy was answered while this thread was blocked");
          assert.ok(Atomics.load(signal, 1) >= 400, `an unsigned GET gets an S3 refusal (got ${Atomics.load(signal, 1)})`);
        } finally {
          await client.terminate();
        }
        assert.deepEqual((await proxy.requests()).map(({ method, url }) => [method, url]), [["GET", "/bucket/blocked"]]);
      } finally {
        await proxy.close();
      }
    });

    it("stops by pid, and the process is gone", async function () {
      const pid = server.pid;
      await server.stop();
      assert.equal(processAlive(pid), false);
      await assert.rejects(s3Request(server, "GET", "/"));
    });
  });
}
