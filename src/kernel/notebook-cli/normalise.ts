/**
 * The volatile parts of notebook outputs, replaced by placeholders so that a
 * re-executed notebook can be compared with its saved outputs (`tsnnx test`,
 * cells tagged `check-output`): dates and clock times, durations (`1.23 ms`),
 * rates (`3.1 GB/s`, `12 it/s`), temporary and absolute paths, memory
 * addresses, UUIDs (display ids). Everything else must match exactly. The
 * rules run in order: a timestamp is masked whole before its time of day is.
 */
const RULES: [RegExp, string][] = [
  // ISO dates with a time: 2026-12-04T00:12:08.123Z, 2026-12-04 00:12:08+01:00.
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, "<DATETIME>"],
  [/\b\d{4}-\d{2}-\d{2}\b/g, "<DATE>"],
  [/\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g, "<TIME>"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<UUID>"],
  [/\b0x[0-9a-f]{4,}\b/gi, "0x<ADDRESS>"],
  // Rates before durations: "3.1 GB/s" is not a duration of "s".
  [/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\s?(?:[kKMGTP]i?B|B|bytes|it|steps?|GFLOP|samples)\/s\b/g, "<RATE>"],
  [/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\s?(?:ns|µs|μs|us|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)(?![\w/])/g, "<DURATION>"],
  // Temporary folders (os.tmpdir(), macOS's /var/folders), then any other absolute path of two or more parts.
  [/(?:\/private)?\/(?:tmp|var\/folders)(?:\/[\w.@+-]+)*\/?/g, "<TMP>"],
  [/(?<![\w.<:/~-])(?:\/[\w.@+-]+){2,}\/?/g, "<PATH>"],
];

export function normaliseVolatile(text: string): string {
  let normalised = text;
  for (const [pattern, placeholder] of RULES) normalised = normalised.replace(pattern, placeholder);
  return normalised;
}
