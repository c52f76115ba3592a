// Durations in the spec: `30s`, `15m`, `1h`, `1d`, `1w`, or combinations in that order (`1h30m`).

const UNIT_SECONDS = [604800, 86400, 3600, 60, 1];
const SHAPE = /^(?=\d)(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
/** At most 9 digits per unit keeps every sum an exact integer; the schema has the same limit. */
const MAX_DIGITS = 9;

/** Seconds, or undefined when `s` is not a duration. A bare number is not one: its unit would be a guess. */
export function parseDuration(s: string): number | undefined {
  const match = SHAPE.exec(s);
  if (!match) return undefined;
  let seconds = 0;
  for (const [i, count] of match.slice(1).entries()) {
    if (count === undefined) continue;
    if (count.length > MAX_DIGITS) return undefined;
    seconds += Number(count) * (UNIT_SECONDS[i] ?? 0);
  }
  return seconds;
}

/** Why `value` is not a usable (positive) duration, or undefined when it is one. */
export function durationProblem(value: string): string | undefined {
  if (/^\d+$/.test(value.trim())) {
    return `'${value}' has no unit, so it is ambiguous; add one (s, m, h, d or w), e.g. ${value.trim()}s`;
  }
  if (!SHAPE.test(value)) return `'${value}' is not a duration; use e.g. 30s, 15m, 1h, 1d, 1w or 1h30m`;
  const seconds = parseDuration(value);
  if (seconds === undefined) return `'${value}' is too long (at most ${MAX_DIGITS} digits per unit)`;
  if (seconds === 0) return 'must be longer than zero';
  return undefined;
}
