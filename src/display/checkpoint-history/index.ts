/**
 * `checkpointHistory(source)`: what a notebook shows for a CheckpointManager
 * or a checkpoint folder (ours or Python Orbax's). Two outputs, as an array
 * of MIME bundles: the table of steps, then the chart of metrics and size
 * over steps. Two bundles rather than one because no single MIME type serves
 * both: the table is HTML, and an HTML type in the chart's bundle would hide
 * the chart in JupyterLab (see chart.ts).
 */
import type { CheckpointManager } from "../../ocp/checkpoint-manager.js";
import { historyChart } from "./chart.js";
import { managerOf, readHistory } from "./history.js";
import { historyHtml, historyJson, historyText } from "./table.js";
import { CHECKPOINT_HISTORY_MIME } from "../data-mime.js";

export type { CheckpointHistory, HistoryRow, StepStatus } from "./history.js";

export function checkpointHistory(source: CheckpointManager | string): [Record<string, unknown>, Record<string, unknown>] {
  const history = readHistory(managerOf(source));
  const table = { "text/html": historyHtml(history), "text/plain": historyText(history), [CHECKPOINT_HISTORY_MIME]: historyJson(history) };
  return [table, historyChart(history)];
}
