// Reading the benchmark scripts' environment knobs, with one error wording for all.

/** The positive integer in environment variable `name`, or `def` when unset; throws naming the variable otherwise. */
export function envInt(name, def) {
  const v = Number(process.env[name] ?? def);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got "${process.env[name]}"`);
  return v;
}
