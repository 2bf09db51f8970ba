// Command lines of the small bench scripts: one positional MODEL path, numeric --name VALUE
// options and the boolean --name flags listed in `flags`; prints the usage and exits 2 when the
// path is missing.
export function modelArgs(usage, argv = process.argv.slice(2), flags = []) {
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const flag = (name) => argv.includes(`--${name}`);
  const takesValue = (a) => a?.startsWith('--') && !flags.includes(a.slice(2));
  const path = argv.find((a, i) => !a.startsWith('--') && !takesValue(argv[i - 1]));
  if (!path) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { path, opt, flag };
}
