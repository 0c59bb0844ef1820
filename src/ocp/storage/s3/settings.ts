/**
 * Where an S3 client connects and as whom, found in the places the AWS CLI
 * and SDKs look, in their order: explicit options, then the environment
 * (`AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`, `AWS_REGION`/`AWS_DEFAULT_REGION`,
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`,
 * `AWS_PROFILE`), then the profile's entries in `~/.aws/credentials` and
 * `~/.aws/config` (paths overridable by `AWS_SHARED_CREDENTIALS_FILE` and
 * `AWS_CONFIG_FILE`). Resolved once per client, so a missing secret is
 * reported before any work starts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Overrides for what the environment and the AWS files say. */
export interface S3Options {
  /** e.g. "http://127.0.0.1:9000" for MinIO; default: AWS's regional endpoint. */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** The AWS profile to read from the shared files (default: AWS_PROFILE, else "default"). */
  profile?: string;
  /** Address buckets as `endpoint/bucket/key` (default for a custom endpoint) rather than `bucket.endpoint/key`. */
  forcePathStyle?: boolean;
  /** Tries per request before a transient failure (5xx, reset connection) is reported. Default 5. */
  maxAttempts?: number;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3Settings {
  endpoint: URL;
  region: string;
  credentials: S3Credentials;
  pathStyle: boolean;
  maxAttempts: number;
}

type Env = Record<string, string | undefined>;

/** An INI file of `[section]` headers and `key = value` lines, as the AWS shared files are written; missing file: no sections. */
function readIni(file: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return sections;
    throw new Error(`${file} cannot be read (${(e as Error).message})`, { cause: e });
  }
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+|\s+$/g, "");
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf("=");
    if (current !== undefined && eq > 0) current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
}

export function resolveS3Settings(options: S3Options = {}, env: Env = process.env): S3Settings {
  const home = env.HOME ?? os.homedir();
  const profile = options.profile ?? env.AWS_PROFILE ?? "default";
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, ".aws", "credentials");
  const configFile = env.AWS_CONFIG_FILE ?? path.join(home, ".aws", "config");
  const fromCredentials = readIni(credentialsFile).get(profile);
  const config = readIni(configFile);
  const fromConfig = config.get(profile === "default" ? "default" : `profile ${profile}`) ?? config.get(profile);

  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? fromConfig?.get("region") ?? "us-east-1";
  const customEndpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? fromConfig?.get("endpoint_url");
  let endpoint: URL;
  try {
    endpoint = new URL(customEndpoint ?? `https://s3.${region}.amazonaws.com`);
  } catch {
    throw new Error(`S3 endpoint ${JSON.stringify(customEndpoint)} is not a URL (expected e.g. "http://127.0.0.1:9000")`);
  }
  if (endpoint.protocol !== "http:" && endpoint.protocol !== "https:") throw new Error(`S3 endpoint ${endpoint.href} must be http:// or https://`);

  // Keys come as a pair from one source: an access key from the environment is never matched with a secret from a file.
  const pick = (): S3Credentials | undefined => {
    if (options.accessKeyId !== undefined || options.secretAccessKey !== undefined) {
      return { accessKeyId: options.accessKeyId ?? "", secretAccessKey: options.secretAccessKey ?? "", sessionToken: options.sessionToken };
    }
    if (env.AWS_ACCESS_KEY_ID !== undefined && options.profile === undefined) {
      return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "", sessionToken: env.AWS_SESSION_TOKEN };
    }
    const section = fromCredentials ?? fromConfig;
    const id = section?.get("aws_access_key_id");
    if (id === undefined) return undefined;
    return { accessKeyId: id, secretAccessKey: section?.get("aws_secret_access_key") ?? "", sessionToken: section?.get("aws_session_token") };
  };
  const credentials = pick();
  if (credentials === undefined) {
    throw new Error(
      `No S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass { s3: { accessKeyId, secretAccessKey } }, ` +
        `or add aws_access_key_id/aws_secret_access_key to profile "${profile}" in ${credentialsFile}`,
    );
  }
  if (credentials.accessKeyId === "" || credentials.secretAccessKey === "") {
    throw new Error(`S3 credentials are incomplete: ${credentials.accessKeyId === "" ? "the access key id" : "the secret access key"} is empty`);
  }
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`S3 option maxAttempts must be a positive integer, got ${maxAttempts}`);
  return { endpoint, region, credentials, pathStyle: options.forcePathStyle ?? customEndpoint !== undefined, maxAttempts };
}
