// Lag as people read it in a table or a log: two units at most, the second zero-padded.

export function formatLag(seconds: number | null): string {
  if (seconds === null) return 'never';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}
