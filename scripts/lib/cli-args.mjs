// Command lines of the small bench scripts: one positional MODEL path and numeric --name VALUE
// options; prints the usage and exits 2 when the path is missing.
export function modelArgs(usage, argv = process.argv.slice(2)) {
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const path = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  if (!path) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { path, opt };
}
