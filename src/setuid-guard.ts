/**
 * Started setuid, Node ignores NODE_OPTIONS but still honours
 * NODE_V8_COVERAGE: at exit, root would write a coverage file into any
 * directory the caller names (creating it). When the real and effective
 * uids differ, coverage is stopped and the variable dropped before any of
 * our code runs. node:v8 is loaded only then: loading it costs every run
 * several ms (it pulls in streams).
 */
export function stopCoverageUnderSetuid(): void {
  if (process.getuid!() === process.geteuid!() || process.env.NODE_V8_COVERAGE === undefined) return;
  process.getBuiltinModule('node:v8').stopCoverage();
  delete process.env.NODE_V8_COVERAGE;
}
