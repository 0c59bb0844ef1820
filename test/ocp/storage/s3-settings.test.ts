/**
 * The S3 client's settings and signatures: where the endpoint, region and
 * keys come from (options over the environment over the AWS files, keys only
 * as a pair), and SigV4 signatures checked against the examples AWS
 * publishes for S3 (docs: "Signature Calculations for the Authorization
 * Header", GET Object and GET Bucket (List Objects)).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { resolveS3Settings } from "../../../src/ocp/storage/s3/settings.js";
import { signer, uriEncode } from "../../../src/ocp/storage/s3/signing.js";
import { scratchDir } from "../scratch.js";

describe("ocp/storage: S3 settings", () => {
  let home: string;
  beforeEach(() => {
    home = scratchDir("aws-home");
    fs.mkdirSync(path.join(home, ".aws"));
    fs.writeFileSync(path.join(home, ".aws", "credentials"), "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n\n[work]\naws_access_key_id=WORKKEY\naws_secret_access_key=worksecret\naws_session_token = worktoken\n");
    fs.writeFileSync(path.join(home, ".aws", "config"), "[default]\nregion = eu-west-1\n\n[profile work]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:9000\n");
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it("reads the default profile, with AWS's regional endpoint and virtual-hosted buckets", () => {
    const s = resolveS3Settings({}, { HOME: home });
    assert.deepEqual(s.credentials, { accessKeyId: "FILEKEY", secretAccessKey: "filesecret", sessionToken: undefined });
    assert.equal(s.region, "eu-west-1");
    assert.equal(s.endpoint.href, "https://s3.eu-west-1.amazonaws.com/");
    assert.equal(s.pathStyle, false);
  });

  it("takes a named profile's keys, token, region and endpoint (path-style for a custom endpoint)", () => {
    const s = resolveS3Settings({}, { HOME: home, AWS_PROFILE: "work" });
    assert.deepEqual(s.credentials, { accessKeyId: "WORKKEY", secretAccessKey: "worksecret", sessionToken: "worktoken" });
    assert.equal(s.region, "ap-south-1");
    assert.equal(s.endpoint.href, "http://127.0.0.1:9000/");
    assert.equal(s.pathStyle, true);
  });

  it("puts the environment over the files and options over both", () => {
    const env = { HOME: home, AWS_ACCESS_KEY_ID: "ENVKEY", AWS_SECRET_ACCESS_KEY: "envsecret", AWS_REGION: "us-west-2", AWS_ENDPOINT_URL: "http://localhost:1234" };
    const fromEnv = resolveS3Settings({}, env);
    assert.deepEqual([fromEnv.credentials.accessKeyId, fromEnv.region, fromEnv.endpoint.href], ["ENVKEY", "us-west-2", "http://localhost:1234/"]);
    const fromOptions = resolveS3Settings({ accessKeyId: "OPTKEY", secretAccessKey: "optsecret", region: "sa-east-1", endpoint: "https://minio.example:9000", maxAttempts: 2 }, env);
    assert.deepEqual([fromOptions.credentials.accessKeyId, fromOptions.region, fromOptions.endpoint.href, fromOptions.maxAttempts], ["OPTKEY", "sa-east-1", "https://minio.example:9000/", 2]);
    // An explicit profile wins over keys in the environment, as in the AWS CLI.
    assert.equal(resolveS3Settings({ profile: "work" }, env).credentials.accessKeyId, "WORKKEY");
  });

  it("names what is missing or wrong", () => {
    fs.rmSync(path.join(home, ".aws"), { recursive: true });
    assert.throws(() => resolveS3Settings({}, { HOME: home }), /No S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, .* profile "default" in .*\.aws\/credentials/);
    assert.throws(() => resolveS3Settings({}, { HOME: home, AWS_ACCESS_KEY_ID: "ONLYKEY" }), /S3 credentials are incomplete: the secret access key is empty/);
    assert.throws(() => resolveS3Settings({ endpoint: "not a url", accessKeyId: "a", secretAccessKey: "b" }, { HOME: home }), /S3 endpoint "not a url" is not a URL/);
    assert.throws(() => resolveS3Settings({ endpoint: "ftp://x", accessKeyId: "a", secretAccessKey: "b" }, { HOME: home }), /must be http:\/\/ or https:\/\//);
    assert.throws(() => resolveS3Settings({ maxAttempts: 0, accessKeyId: "a", secretAccessKey: "b" }, { HOME: home }), /maxAttempts must be a positive integer/);
  });
});

describe("ocp/storage: SigV4 signatures (AWS's published S3 examples)", () => {
  const sign = signer({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }, "us-east-1");
  const when = new Date("2013-05-24T00:00:00Z");
  const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const signature = (h: Record<string, string>) => /Signature=([0-9a-f]+)/.exec(h.authorization)![1];

  it("GET Object with a Range header", () => {
    const headers = sign({ method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: {}, headers: { range: "bytes=0-9" }, payloadHash: emptyHash }, when);
    assert.match(headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20130524\/us-east-1\/s3\/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, /);
    assert.equal(signature(headers), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  });

  it("GET Bucket (List Objects) with a query", () => {
    const headers = sign({ method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/", query: { "max-keys": "2", prefix: "J" }, headers: {}, payloadHash: emptyHash }, when);
    assert.equal(signature(headers), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  });

  it("encodes keys as S3 wants: unreserved characters kept, '/' kept in paths only", () => {
    assert.equal(uriEncode("a b+c/é(1)*!'~._-", true), "a%20b%2Bc/%C3%A9%281%29%2A%21%27~._-");
    assert.equal(uriEncode("x/y", false), "x%2Fy");
  });
});
