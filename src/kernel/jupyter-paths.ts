/** Where Jupyter keeps per-user data, as jupyter_core computes it. */
import os from "node:os";
import { join } from "node:path";

export function jupyterDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  const home = os.homedir();
  switch (process.platform) {
    case "darwin":
      return join(home, "Library", "Jupyter");
    case "win32":
      return join(env.APPDATA ?? join(home, "AppData", "Roaming"), "jupyter");
    default:
      return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "jupyter");
  }
}

/** The history file of the tsnnx kernel; TSNNX_HISTORY_FILE overrides it. */
export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSNNX_HISTORY_FILE || join(jupyterDataDir(env), "tsnnx", "history.jsonl");
}
