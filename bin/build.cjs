/**
 * Builds .build/lgtm.cjs, one esbuild bundle of main.ts and everything it imports from this
 * project and from @cdktf/provider-aws's deep paths, so a command loads one file instead of
 * thousands and never compiles TypeScript at run time. Run by bin/lgtm.cjs whenever a source file is
 * newer than the bundle (and by `npm run build`). Plain JavaScript: it must run before any build.
 *
 * `__dirname` in a bundled source file becomes that file's own folder (resolved from the bundle's
 * place), so settings/, templates/ and environments/ are found as under tsx.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const OUT_DIR = path.join(ROOT, ".build");
const BUNDLE = path.join(OUT_DIR, "lgtm.cjs");
/** The project files the last build read (esbuild's metafile), written beside the bundle. */
const INPUTS = path.join(OUT_DIR, "inputs.json");
/** Besides the bundled sources: what changes the bundle without being one of them. */
const ALWAYS = ["package-lock.json", "bin/build.cjs"];

/**
 * True when the bundle is missing, or older than any project file the last build read (a new
 * import shows as a change to the file that imports it) or the lockfile, or one of those is gone.
 */
function isStale() {
  let built;
  let inputs;
  try {
    built = fs.statSync(BUNDLE).mtimeMs;
    inputs = JSON.parse(fs.readFileSync(INPUTS, "utf8"));
  } catch {
    return true;
  }
  for (const rel of [...inputs, ...ALWAYS]) {
    let st;
    try {
      st = fs.statSync(path.join(ROOT, rel));
    } catch {
      return true;
    }
    if (st.mtimeMs > built) return true;
  }
  return false;
}

const TEMPLATES_DIR = path.join(ROOT, "templates");
/** The options templates/render.ts compiles with (COMPILE_OPTIONS; test/launcher.test.ts checks the bundle uses its templates). */
const TEMPLATE_COMPILE_OPTIONS = { noEscape: true, strict: true };

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * The module that replaces templates/precompiled.ts in the bundle: every templates/**\/*.hbs with its
 * source text and its `Handlebars.precompile` spec. Returns the module's text and the files it read.
 */
function precompiledTemplatesModule() {
  const Handlebars = require("handlebars");
  const entries = [];
  const files = [];
  for (const file of walk(TEMPLATES_DIR).filter((f) => f.endsWith(".hbs")).sort()) {
    const source = fs.readFileSync(file, "utf8");
    const rel = path.relative(TEMPLATES_DIR, file).split(path.sep).join("/");
    // precompile adds its defaults to the options object it is given: give it a copy.
    entries.push(`  ${JSON.stringify(rel)}: { source: ${JSON.stringify(source)}, spec: ${Handlebars.precompile(source, { ...TEMPLATE_COMPILE_OPTIONS })} }`);
    files.push(path.relative(ROOT, file).split(path.sep).join("/"));
  }
  const contents = [
    '"use strict";',
    'Object.defineProperty(exports, "__esModule", { value: true });',
    `exports.default = { options: ${JSON.stringify(TEMPLATE_COMPILE_OPTIONS)}, templates: {\n${entries.join(",\n")}\n} };`,
    "",
  ].join("\n");
  return { contents, files };
}

function build() {
  const esbuild = require("esbuild");
  const dirnamePlugin = {
    name: "source-dirname",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        let text = fs.readFileSync(args.path, "utf8");
        if (text.includes("__dirname")) {
          const rel = path.relative(OUT_DIR, path.dirname(args.path)).split(path.sep).join("/");
          text = text.replace(/\b__dirname\b/g, `require("node:path").join(__dirname, ${JSON.stringify(rel)})`);
        }
        return { contents: text, loader: "ts" };
      });
    },
  };
  // cdktf records the creation stack of every token (Error.stackTraceLimit = MAX_SAFE_INTEGER, about
  // 1,700 per synth), used only to explain a token that fails to resolve. The bundle leaves them
  // out (output unchanged); LGTM_NO_BUNDLE=1 runs the sources with them.
  const noTokenStacks = {
    name: "no-token-stack-traces",
    setup(b) {
      b.onLoad({ filter: /[\\/]cdktf[\\/]lib[\\/]tokens[\\/]private[\\/]stack-trace\.js$/ }, () => ({
        contents: '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.captureStackTrace = function captureStackTrace() { return ["(stack traces are off in the bundle; run with LGTM_NO_BUNDLE=1 to see where this token was made)"]; };\n',
        loader: "js",
      }));
    },
  };
  // cdktf's index loads its asset support, which loads archiver (and glob, readable-stream and
  // about 700 KB more) to zip TerraformAsset folders. No stack here has an asset: the bundle gets a
  // stand-in that says so if one is ever added.
  const noArchiver = {
    name: "no-archiver",
    setup(b) {
      b.onResolve({ filter: /^archiver$/ }, () => ({ path: "archiver", namespace: "no-archiver" }));
      b.onLoad({ filter: /.*/, namespace: "no-archiver" }, () => ({
        contents: 'module.exports = function archiver() { throw new Error("zip assets (cdktf TerraformAsset) are not in the lgtm bundle: bin/build.cjs leaves archiver out"); };\n',
        loader: "js",
      }));
    },
  };
  // cdktf's resolver visits every value of every stack once per synth, and for each builds closures
  // and a path string it needs only for an error message. The bundle's copy builds them when needed;
  // each edit must apply exactly once (cdktf is pinned), and test/launcher.test.ts holds the bundle's
  // output to the sources' (unpatched cdktf) byte for byte.
  const leanResolve = {
    name: "lean-resolve",
    setup(b) {
      b.onLoad({ filter: /[\\/]cdktf[\\/]lib[\\/]tokens[\\/]private[\\/]resolve\.js$/ }, (args) => {
        let text = fs.readFileSync(args.path, "utf8");
        const edit = (from, to) => {
          const n = text.split(from).length - 1;
          if (n !== 1) throw new Error(`lean-resolve: expected one "${from.slice(0, 60)}" in ${args.path}, found ${n} (cdktf changed: revisit bin/build.cjs)`);
          text = text.replace(from, () => to);
        };
        // The path of the value, for error messages only.
        edit('const pathName = "/" + prefix.join("/");', 'const pathName = { toString: () => "/" + prefix.join("/") };');
        // A string: its escapes settings come straight from the previous context.
        edit(
          "const context = makeContext()[0];\n        const tokenStr = encoding_1.TokenString.forString(str, !context.ignoreEscapes, context.warnEscapes);",
          "const tokenStr = encoding_1.TokenString.forString(str, !options.previousContext?.ignoreEscapes, options.previousContext?.warnEscapes);",
        );
        // A number that is no token needs no context.
        edit(
          "return resolveNumberToken(obj, makeContext()[0]);",
          "return token_map_1.TokenMap.instance().lookupNumberToken(obj) === undefined ? obj : resolveNumberToken(obj, makeContext()[0]);",
        );
        // An object key with no token in it (the same tests the string case makes) is itself.
        edit(
          "const resolvedKey = makeContext()[0].resolve(key);",
          "const resolvedKey = typeof key === \"string\" && plainString(key, options) ? key : makeContext()[0].resolve(key);",
        );
        text += [
          "",
          "function plainString(s, options) {",
          "    return !encoding_1.TokenString.forListToken(s).test() && s !== token_1.Token.STRING_MAP_TOKEN_VALUE && s !== token_1.Token.ANY_MAP_TOKEN_VALUE &&",
          "        !encoding_1.TokenString.forString(s, !options.previousContext?.ignoreEscapes, options.previousContext?.warnEscapes).test() && !encoding_1.TokenString.forNumbers(s).test();",
          "}",
          "",
        ].join("\n");
        return { contents: text, loader: "js" };
      });
    },
  };

  // templates/precompiled.ts: every template precompiled (see that file), so a run skips Handlebars'
  // parse and code generation. The templates it read join the inputs that make the bundle stale.
  let templateFiles = [];
  const precompiledTemplates = {
    name: "precompiled-templates",
    setup(b) {
      b.onLoad({ filter: /[\\/]templates[\\/]precompiled\.ts$/ }, (args) => {
        if (path.dirname(args.path) !== TEMPLATES_DIR) return undefined;
        const { contents, files } = precompiledTemplatesModule();
        templateFiles = files;
        return { contents, loader: "js" };
      });
    },
  };
  const tmp = `${BUNDLE}.tmp-${process.pid}`;
  fs.mkdirSync(OUT_DIR, { recursive: true });
  return esbuild
    .build({
      entryPoints: [path.join(ROOT, "main.ts")],
      outfile: tmp,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      // Loaded from their own folders at run time (wasm, the cdktf CLI's own files).
      external: ["@cdktf/hcl2json", "esbuild"],
      // An `import()` of an external stays an import() in a CommonJS bundle, which the launcher runs
      // through vm.Script (bin/code-cache.cjs), where it fails ("A dynamic import callback was not
      // specified"): every settings file the literal fast path leaves to hcl2json. As require() it
      // loads the same CommonJS module. test/launcher.test.ts holds the bundle to no import().
      supported: { "dynamic-import": false },
      plugins: [precompiledTemplates, dirnamePlugin, noTokenStacks, noArchiver, leanResolve],
      logLevel: "error",
      legalComments: "none",
      // Whitespace and syntax only: identifiers (and so class names in errors) stay as written, with
      // none of keepNames' cost at load.
      minifyWhitespace: true,
      minifySyntax: true,
      metafile: true,
    })
    .then((result) => {
      const inputs = Object.keys(result.metafile.inputs)
        // "<namespace>:<path>" inputs are made by the plugins above, not read from disk.
        .filter((f) => !/^[\w-]+:/.test(f))
        .map((f) => path.relative(ROOT, path.resolve(f)).split(path.sep).join("/"))
        .filter((f) => !f.startsWith("node_modules/") && !f.startsWith(".."))
        .concat(templateFiles)
        .sort();
      fs.writeFileSync(INPUTS, `${JSON.stringify(inputs, null, 1)}\n`);
      fs.renameSync(tmp, BUNDLE);
      // Code caches of earlier bundles (bin/code-cache.cjs) are never valid again.
      for (const f of fs.readdirSync(OUT_DIR)) if (f.endsWith(".v8cache")) fs.rmSync(path.join(OUT_DIR, f), { force: true });
    })
    .finally(() => fs.rmSync(tmp, { force: true }));
}

module.exports = { BUNDLE, isStale, build, precompiledTemplatesModule };

if (require.main === module) {
  build().then(
    () => console.log(`built ${path.relative(process.cwd(), BUNDLE)}`),
    (e) => {
      console.error(e.message);
      process.exitCode = 1;
    },
  );
}
