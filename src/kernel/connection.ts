/** The connection file Jupyter hands a kernel: where to bind and how to sign. */
import { readFile } from "node:fs/promises";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  control_port: number;
  iopub_port: number;
  stdin_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

export type Channel = "shell" | "control" | "iopub" | "stdin" | "hb";

export async function readConnectionFile(path: string): Promise<ConnectionInfo> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read connection file ${path}: ${(error as Error).message}`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`connection file ${path} is not JSON: ${(error as Error).message}`);
  }
  return parseConnectionInfo(raw, path);
}

export function parseConnectionInfo(raw: Record<string, unknown>, source: string): ConnectionInfo {
  const transport = raw.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") throw new Error(`${source}: transport "${String(transport)}" is not tcp or ipc`);
  const ip = raw.ip ?? "127.0.0.1";
  if (typeof ip !== "string" || ip === "") throw new Error(`${source}: ip must be a non-empty string`);
  const port = (name: string): number => {
    const value = raw[name];
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) {
      throw new Error(`${source}: ${name} must be an integer port (1-65535), got ${JSON.stringify(value)}`);
    }
    return value as number;
  };
  const key = raw.key ?? "";
  if (typeof key !== "string") throw new Error(`${source}: key must be a string`);
  const scheme = raw.signature_scheme ?? "hmac-sha256";
  if (typeof scheme !== "string") throw new Error(`${source}: signature_scheme must be a string`);
  return {
    transport, ip, key, signature_scheme: scheme,
    shell_port: port("shell_port"), control_port: port("control_port"), iopub_port: port("iopub_port"),
    stdin_port: port("stdin_port"), hb_port: port("hb_port"),
  };
}

/** The zeromq endpoint of one channel; ipc endpoints are `<ip>-<port>` files, as jupyter_client names them. */
export function endpoint(info: ConnectionInfo, channel: Channel): string {
  const port = info[`${channel}_port`];
  return info.transport === "tcp" ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}
