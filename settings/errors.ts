/**
 * Errors about settings. Each problem names the file, the key path and what was expected, so that a
 * user can fix it without reading this project's source.
 */

export interface SettingsProblem {
  /** File the offending value came from (relative to the project root), or the files searched. */
  readonly file: string;
  /** Dotted key path, e.g. `services.mimir.cpu`; empty for a whole-file problem. */
  readonly key: string;
  /** What is wrong and what was expected. */
  readonly message: string;
}

/**
 * An error whose message alone tells the user what to fix (bad settings, a failed check, a missing
 * tool): commands print the message, without a stack trace, and exit 1.
 */
export class UserError extends Error {}

export class SettingsError extends UserError {
  constructor(readonly problems: readonly SettingsProblem[]) {
    super(formatProblems(problems));
    this.name = "SettingsError";
  }
}

export function formatProblems(problems: readonly SettingsProblem[]): string {
  const lines = problems.map((p) => `  ${p.file}: ${p.key ? `${p.key}: ` : ""}${p.message}`);
  const n = problems.length;
  return `invalid settings (${n} problem${n === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Longest value echoed back in a message; longer ones are cut in the middle of the quote. */
export const SHOWN_MAX = 60;

/**
 * A value as a message quotes it: JSON, cut to SHOWN_MAX characters with its full length when
 * longer, and numbers HCL holds but JavaScript cannot represent named as such instead of `null`.
 */
export function shown(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return "a number too large to represent";
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) return `${value} (too large to represent exactly)`;
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  if (text.length <= SHOWN_MAX) return text;
  const size = typeof value === "string" ? `${value.length} characters` : `${text.length} characters as JSON`;
  return `${text.slice(0, SHOWN_MAX - 1)}… (${size})`;
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest candidate within a distance that still reads as a typo, if any. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}
