/**
 * Once per `npm test`, before any suite: builds the command bundle (.build/lgtm.cjs) when a source is
 * newer, so suites that run commands as fresh processes neither race to build it nor pay for it.
 */
export default async function setup(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isStale, build } = require("../../bin/build.cjs") as { isStale(): boolean; build(): Promise<void> };
  if (isStale()) await build();
}
