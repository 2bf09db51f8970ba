// Human-readable sizes for messages, the CLI's progress bar and tables (binary units, as the
// heap limits and llama.cpp's logs are stated).

/** `n` bytes as "512 B", "1.5 KiB", "3.2 MiB" or "1.25 GiB". */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
