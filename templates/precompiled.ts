/**
 * Templates compiled ahead of time. From the sources (tsx, vitest) this module is empty and every
 * template compiles when it is first rendered. In the bundle, bin/build.cjs replaces it with every
 * templates/**\/*.hbs precompiled by Handlebars (`Handlebars.precompile` with `options`), which saves
 * the parse and code generation on each run. templates/render.ts uses a precompiled template only when
 * its source text and the options are exactly what it would compile now; anything else (a template
 * edited since the build, another templates folder in a test) compiles at run time as before.
 */
export interface PrecompiledTemplates {
  /** The compile options the build used. */
  readonly options: Readonly<Record<string, unknown>>;
  /** By path below templates/ ("mimir/mimir.yaml.hbs", "partials/server.hbs"). */
  readonly templates: Readonly<Record<string, { readonly source: string; readonly spec: unknown }>>;
}

const PRECOMPILED: PrecompiledTemplates = { options: {}, templates: {} };
export default PRECOMPILED;
