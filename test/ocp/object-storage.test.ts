/**
 * Checkpoints in object storage, against each real S3 server the run has
 * (SeaweedFS always, MinIO where it is built): the same layout as on disk,
 * commit by marker, retention, copies between a bucket and a folder in both
 * directions, and the faults a bucket brings (a server stopped mid-save,
 * transient errors, wrong credentials, a missing bucket, a truncated object).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../../src/ocp/index.js";
import { objectStorage } from "../../src/ocp/storage/object-storage.js";
import { parseObjectUrl, type S3Options } from "../../src/ocp/storage/index.js";
import { FaultProxy } from "../helpers/fault-proxy.js";
import { Notebook } from "../kernel/exec/helpers.js";
import { createBucket, s3ServerKinds, startS3Server, type S3TestServer } from "../helpers/s3-servers.js";
import { scratchDir } from "./scratch.js";

const np = jax.numpy;
const { StandardSave, Composite, JsonSave } = ocp.args;

/** Deterministic pseudo-random floats: benchmarks and tests use random data, never constants jax-js keeps as broadcasts. */
function floats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) / 2 ** 32 - 0.5;
  }
  return out;
}

const model = (step: number) => ({
  dense: { kernel: np.array(floats(64 * 32, step + 1), { shape: [64, 32] }), bias: np.array(floats(32, step + 7)) },
  count: np.array(new Int32Array([step, step * 2, step * 3])),
  rate: 0.5 + step,
});

async function values(tree: unknown): Promise<unknown> {
  if (tree instanceof jax.Array) return { shape: tree.shape, dtype: tree.dtype, data: Array.from(await tree.ref.data()) };
  if (tree !== null && typeof tree === "object") return Object.fromEntries(await Promise.all(Object.entries(tree).map(async ([k, v]) => [k, await values(v)])));
  return tree;
}

/** Every file under a folder, "/"-separated, with OCDBT's random data file names made comparable. */
function localKeys(dir: string, prefix = ""): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? localKeys(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}
const comparable = (keys: string[]) => keys.map((k) => k.replace(/\/d\/[0-9a-f]{32}$/, "/d/<data>")).sort();

async function bucketKeys(options: S3Options, url: string): Promise<string[]> {
  const storage = objectStorage(options);
  const { bucket, key } = parseObjectUrl(url);
  return (await storage.client.listObjects(bucket, `${key}/`)).objects.map((o) => o.key.slice(key.length + 1));
}

async function uploadFolder(options: S3Options, dir: string, url: string): Promise<void> {
  const storage = objectStorage(options);
  for (const key of localKeys(dir)) await storage.write(`${url}/${key}`, fs.readFileSync(path.join(dir, key)));
}

async function downloadPrefix(options: S3Options, url: string, dir: string): Promise<void> {
  const storage = objectStorage(options);
  for (const key of await bucketKeys(options, url)) {
    fs.mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
    fs.writeFileSync(path.join(dir, key), (await storage.read(`${url}/${key}`))!);
  }
}

for (const kind of s3ServerKinds()) {
  describe(`ocp on object storage: ${kind}`, function () {
    this.timeout(180_000);
    let server: S3TestServer;
    let s3: S3Options;
    let scratch: string;
    let run = 0;
    /** A fresh prefix per test. */
    const fresh = (name: string) => `s3://ckpts/${name}-${++run}`;

    before(async () => {
      server = await startS3Server(kind);
      await createBucket(server, "ckpts");
      s3 = { endpoint: server.endpoint, region: server.region, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, maxAttempts: 3 };
      scratch = scratchDir(`s3-${kind}`);
    });
    after(async () => {
      await server?.stop();
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    it("a CheckpointManager saves, lists and restores steps in the same layout as on disk", async () => {
      const url = fresh("mgr");
      const local = path.join(scratch, "mgr-local");
      for (const [where, options] of [[url, { s3 }], [local, {}]] as const) {
        const mngr = new ocp.CheckpointManager(where, { ...options, maxToKeep: 2, bestFn: (m) => -(m.loss as number), enableAsyncCheckpointing: where === url });
        for (const step of [0, 1, 2]) {
          await mngr.save(step, { args: Composite({ model: StandardSave(model(step)), config: JsonSave({ lr: 0.1, step }) }), metrics: { loss: 3 - step } });
        }
        await mngr.close();
        assert.deepEqual(mngr.allSteps(), [1, 2]);
      }
      assert.deepEqual(comparable(await bucketKeys(s3, url)), comparable(localKeys(local)));

      // A new manager finds the committed steps synchronously, with metrics and records.
      const again = new ocp.CheckpointManager(url, { s3 });
      assert.deepEqual(again.allSteps(), [1, 2]);
      assert.deepEqual(again.metrics(2), { loss: 1 });
      assert.ok((again.stepSummary(2)?.bytesWritten ?? 0) > 64 * 32 * 4);
      const restored = (await again.restore(1)) as { model: unknown; config: unknown };
      assert.deepEqual(await values(restored.model), await values(model(1)));
      assert.deepEqual(restored.config, { lr: 0.1, step: 1 });
      assert.deepEqual(Object.keys(await again.itemMetadata(2)).sort(), ["config", "model"]);
    });

    it("restores a checkpoint copied from a folder to a bucket, and one copied from a bucket to a folder", async () => {
      const folder = path.join(scratch, "copy-source");
      const toBucket = fresh("copied-in");
      const mngr = new ocp.CheckpointManager(folder);
      await mngr.save(5, { args: StandardSave(model(5)), metrics: { loss: 0.25 } });
      await mngr.close();
      await uploadFolder(s3, folder, toBucket);
      const fromBucket = new ocp.CheckpointManager(toBucket, { s3, readOnly: true });
      assert.deepEqual(fromBucket.allSteps(), [5]);
      assert.deepEqual(await values(await fromBucket.restore(5)), await values(model(5)));

      const saved = fresh("copied-out");
      const ckptr = new ocp.StandardCheckpointer({ s3 });
      await ckptr.save(saved, model(6));
      await ckptr.close();
      const copy = path.join(scratch, "copy-target");
      await downloadPrefix(s3, saved, copy);
      assert.ok(fs.existsSync(path.join(copy, "commit_success.txt")));
      assert.deepEqual(await values(await new ocp.StandardCheckpointer().restore(copy)), await values(model(6)));
      assert.deepEqual(await values(await ckptr.restore(saved)), await values(model(6)));
    });

    it("a step without its commit marker is neither listed nor restored, and a writable manager removes it", async () => {
      const url = fresh("unfinished");
      const mngr = new ocp.CheckpointManager(url, { s3 });
      for (const step of [1, 2, 3]) await mngr.save(step, { args: StandardSave(model(step)) });
      await mngr.close();
      // What crashes leave: step 3 written but for its marker; step 2 deleted half-way (marker first, then some objects).
      const storage = objectStorage(s3);
      await storage.remove(`${url}/3/commit_success.txt`);
      await storage.remove(`${url}/2/commit_success.txt`);
      await storage.remove(`${url}/2/default`);

      const reader = new ocp.CheckpointManager(url, { s3, readOnly: true });
      assert.deepEqual(reader.allSteps(), [1]);
      await assert.rejects(reader.restore(3), /step 3 was not found/);
      const writer = new ocp.CheckpointManager(url, { s3 });
      await writer.waitUntilFinished();
      // (SeaweedFS may keep an emptied prefix listed as a folder; what matters is that no object is left.)
      assert.deepEqual([...(await bucketKeys(s3, `${url}/2`)), ...(await bucketKeys(s3, `${url}/3`))], []);
      assert.deepEqual(await values(await writer.restore()), await values(model(1)));
    });

    it("a StandardCheckpointer refuses to overwrite without force, replaces with it, and writes its marker last", async () => {
      const url = fresh("std");
      const ckptr = new ocp.StandardCheckpointer({ s3 });
      await ckptr.save(url, model(1));
      await ckptr.close();
      await assert.rejects(ckptr.save(url, model(2)), /already exists; pass \{ force: true \}/);
      const proxy = await FaultProxy.start(server.endpoint);
      try {
        const viaProxy = new ocp.StandardCheckpointer({ s3: { ...s3, endpoint: proxy.endpoint } });
        await viaProxy.save(url, model(2), { force: true });
        await viaProxy.close();
        // Object writes (PUTs, and the POSTs that complete multipart uploads): the marker is written once, after every other.
        const writes = (await proxy.requests()).filter((r) => r.method === "PUT" || (r.method === "POST" && r.url.includes("uploadId=")));
        assert.ok(writes.length > 3, writes.map((w) => w.url).join(", "));
        assert.deepEqual(writes.map((w) => w.url.endsWith("/commit_success.txt")), [...writes.slice(1).map(() => false), true]);
      } finally {
        await proxy.close();
      }
      assert.deepEqual(await values(await ckptr.restore(url)), await values(model(2)));
      const keys = await bucketKeys(s3, url);
      assert.ok(keys.includes("commit_success.txt") && keys.includes("_CHECKPOINT_METADATA") && keys.includes("manifest.ocdbt"), keys.join(", "));
    });

    it("large arrays go up as multipart uploads and come back by parallel ranged reads, byte for byte", async () => {
      const url = fresh("large");
      const big = { a: np.array(floats(6 * 2 ** 20, 11), { shape: [3 * 2 ** 10, 2 ** 11] }), b: np.array(floats(2 ** 20, 12)) };
      const expected = await values(big);
      const proxy = await FaultProxy.start(server.endpoint);
      try {
        const ckptr = new ocp.StandardCheckpointer({ s3: { ...s3, endpoint: proxy.endpoint }, compression: "none" });
        await ckptr.save(url, big);
        await ckptr.close();
        assert.ok((await proxy.requests()).some((r) => r.method === "PUT" && /partNumber=2/.test(r.url)), "a data file of 24 MiB is sent in parts");
        const before = (await proxy.requests()).length;
        assert.deepEqual(await values(await ckptr.restore(url)), expected);
        const ranged = (await proxy.requests()).slice(before).filter((r) => r.method === "GET" && /\/d\//.test(r.url));
        assert.ok(ranged.length >= 3, `the 24 MiB value is read in several ranges (${ranged.length} GETs)`);
      } finally {
        await proxy.close();
      }
    });

    it("retries transient errors (503, a reset connection) and reports one that persists with the object's key", async () => {
      const proxy = await FaultProxy.start(server.endpoint);
      try {
        const viaProxy = { ...s3, endpoint: proxy.endpoint };
        const url = fresh("flaky");
        const mngr = new ocp.CheckpointManager(url, { s3: viaProxy });
        await proxy.failNext(1, { kind: "status", status: 503 }, { method: "PUT" });
        await proxy.failNext(1, { kind: "reset" }, { method: "PUT" });
        await mngr.save(1, { args: StandardSave(model(1)) });
        await mngr.close();
        assert.ok((await proxy.requests()).filter((r) => r.injected !== null).length >= 2);
        assert.deepEqual(await values(await mngr.restore(1)), await values(model(1)));

        await proxy.failNext(100, { kind: "status", status: 500 }, { method: "PUT", urlIncludes: "_CHECKPOINT_METADATA" });
        await mngr.save(2, { args: StandardSave(model(2)) });
        await assert.rejects(mngr.waitUntilFinished(), /Saving step 2 in s3:\/\/ckpts\/flaky-\d+ failed: s3:\/\/ckpts\/flaky-\d+\/2\/_CHECKPOINT_METADATA: PUT failed: 500 InternalError.*after 3 attempts/);
        assert.deepEqual(new ocp.CheckpointManager(url, { s3 }).allSteps(), [1]);
      } finally {
        await proxy.close();
      }
    });

    it("a server stopped in the middle of a save: the step is not listed and the previous one restores", async () => {
      const url = fresh("crash");
      const proxy = await FaultProxy.start(server.endpoint);
      try {
        const mngr = new ocp.CheckpointManager(url, { s3: { ...s3, endpoint: proxy.endpoint, maxAttempts: 2 } });
        await mngr.save(1, { args: StandardSave(model(1)) });
        await mngr.waitUntilFinished();
        const big = { w: np.array(floats(16 * 2 ** 20, 3), { shape: [2 ** 13, 2 ** 11] }) };
        await mngr.save(2, { args: StandardSave(big) });
        // Stopped once the first part of the 64 MiB data file is stored: the rest of the save is still to come.
        while (!(await proxy.requests()).some((r) => r.method === "PUT" && r.url.includes("partNumber=1"))) await new Promise((resolve) => setTimeout(resolve, 2));
        server.kill();
        await assert.rejects(mngr.waitUntilFinished(), /Saving step 2 in s3:\/\/ckpts\/crash-\d+ failed: s3:\/\/ckpts\/crash-\d+\/2\/.*(connection refused|ECONNRESET|socket hang up|closed|502)/i);
      } finally {
        await proxy.close();
        await server.restart();
      }
      const after = new ocp.CheckpointManager(url, { s3 });
      assert.deepEqual(after.allSteps(), [1]);
      assert.deepEqual(await values(await after.restore()), await values(model(1)));
    });

    it("wrong credentials and a missing bucket are reported when the manager is built, before any work", async () => {
      assert.throws(() => new ocp.CheckpointManager(fresh("denied"), { s3: { ...s3, secretAccessKey: "not-the-secret" } }), /refused access with access key "[^"]+": 403 (SignatureDoesNotMatch|AccessDenied)/);
      assert.throws(() => new ocp.CheckpointManager("s3://no-such-bucket/run", { s3 }), /bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+/);
      const ckptr = new ocp.StandardCheckpointer({ s3: { ...s3, accessKeyId: "nobody" } });
      await assert.rejects(ckptr.save("s3://ckpts/denied-std", model(1)), /refused access with access key "nobody"/);
      assert.throws(() => new ocp.CheckpointManager("s3://ckpts/x", { s3: { endpoint: server.endpoint, accessKeyId: "a" } }), /S3 credentials are incomplete: the secret access key is empty/);
    });

    it("a truncated object is named on restore", async () => {
      const url = fresh("truncated");
      const ckptr = new ocp.StandardCheckpointer({ s3, compression: "none" });
      await ckptr.save(url, { w: np.array(floats(2 ** 18, 5)) });
      await ckptr.close();
      const storage = objectStorage(s3);
      const dataKey = (await bucketKeys(s3, url)).find((k) => /^d\/[0-9a-f]{32}$/.test(k) && storage.sizeSync(`${url}/${k}`) >= 2 ** 20)!;
      const bytes = (await storage.read(`${url}/${dataKey}`))!;
      await storage.write(`${url}/${dataKey}`, bytes.subarray(0, bytes.length - 1000));
      await assert.rejects(ckptr.restore(url), new RegExp(`s3://ckpts/truncated-\\d+/${dataKey} is truncated`));
    });

    it("%save, %checkpoints and %restore take --dir s3://..., with the endpoint and keys from the environment", async () => {
      const url = fresh("notebook");
      const saved = { ...process.env };
      Object.assign(process.env, { AWS_ENDPOINT_URL: server.endpoint, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region });
      const notebookDir = scratchDir("s3-notebook");
      const nb = await Notebook.open(notebookDir);
      try {
        await nb.value("const model = new nnx.Linear(3, 2, { rngs: new nnx.Rngs(0) });\nconst before = [...(await model.kernel.value.data())];");
        const save = await nb.run(`%save model --dir ${url} --metrics {"loss": 0.5}`);
        assert.equal(save.outcome.status, "ok");
        assert.match(save.io.text(), new RegExp(`^Saved step 0: .* to ${url}/0\\n$`));
        const listing = (await nb.run(`%checkpoints --dir ${url}`)).io;
        assert.match(listing.displays().map((d) => String(d.data["text/plain"])).join("\n"), new RegExp(`Checkpoints in ${url}: 1 step[\\s\\S]*loss`));
        await nb.value("model.kernel.value = np.zeros([3, 2]);");
        const restored = await nb.run(`%restore model --dir ${url}`);
        assert.equal(restored.outcome.status, "ok");
        assert.equal(await nb.value("JSON.stringify([...(await model.kernel.value.data())]) === JSON.stringify(before)"), "true");
        assert.match((await nb.error(`%checkpoints --dir ${url}-none`)).evalue, /there is no checkpoint folder s3:\/\/ckpts\/notebook-\d+-none yet/);
      } finally {
        nb.executor.dispose();
        fs.rmSync(notebookDir, { recursive: true, force: true });
        for (const name of ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]) {
          if (saved[name] === undefined) delete process.env[name];
          else process.env[name] = saved[name];
        }
      }
    });

    it("tsnnx ckpt ls, show and verify take s3:// locations, with credentials from the environment", async () => {
      const url = fresh("cli");
      const mngr = new ocp.CheckpointManager(url, { s3 });
      await mngr.save(3, { args: StandardSave({ w: np.array(floats(1000, 9), { shape: [10, 100] }) }), metrics: { loss: 0.3 } });
      await mngr.close();
      const env = { ...process.env, TSNNX_THREADS: "1", AWS_ENDPOINT_URL: server.endpoint, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region, HOME: scratch };
      const tsnnx = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { encoding: "utf8", env, timeout: 120_000 });
      const ls = tsnnx("ckpt", "ls", url);
      assert.equal(ls.status, 0, ls.stderr);
      assert.match(ls.stdout.trim().split("\n")[1], /^3\s+20\d\d-\S+Z\s+[\d.]+ KiB\s+\{"loss":0.3\}$/);
      const show = tsnnx("ckpt", "show", url);
      assert.equal(show.status, 0, show.stderr);
      assert.match(show.stdout, /^w\s+\[10, 100\]\s+float32\s+4000$/m);
      const verify = tsnnx("ckpt", "verify", url);
      assert.equal(verify.status, 0, verify.stderr);
      assert.match(verify.stdout, new RegExp(`${url} step 3: every item read and decoded`));
      // The same, with the keys in a profile of ~/.aws/credentials instead of the environment.
      fs.mkdirSync(path.join(scratch, ".aws"), { recursive: true });
      fs.writeFileSync(path.join(scratch, ".aws", "credentials"), `[tsnnx]\naws_access_key_id = ${server.accessKeyId}\naws_secret_access_key = ${server.secretAccessKey}\n`);
      const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...withoutKeys } = env;
      const viaProfile = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "ckpt", "ls", url], { encoding: "utf8", env: { ...withoutKeys, AWS_PROFILE: "tsnnx" }, timeout: 120_000 });
      assert.equal(viaProfile.status, 0, viaProfile.stderr);
      const noKeys = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "ckpt", "ls", url], { encoding: "utf8", env: withoutKeys, timeout: 120_000 });
      assert.notEqual(noKeys.status, 0);
      assert.match(noKeys.stderr, /No S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    });
  });
}
