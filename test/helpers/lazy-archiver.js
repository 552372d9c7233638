// Both projects' `archiver` (jest.config.js moduleNameMapper): the real package, loaded when it is
// first called instead of when cdktf loads.
//
// cdktf requires archiver at load time (cdktf/lib/private/fs.js) and calls it only to zip a
// directory asset (TerraformAsset of type ARCHIVE), which no suite synthesizes: the hook bundle's
// zip is made by tools/build.mjs, and the app bundle stubs archiver for the same reason
// (modules/cdktf/bundle-stubs.json). Loading it costs about 200 modules (archiver-utils,
// readable-stream, lodash, glob, zip-stream, ...) in every suite file that imports cdktf: about a
// tenth of the unit project's CPU. Calling this function loads and calls the same package, from
// the same place cdktf would (a path, which the mapping does not match), in the suite's own
// module registry.
const { dirname } = require("node:path");

function real() {
  const cdktf = dirname(require.resolve("cdktf/package.json"));
  return require(dirname(require.resolve("archiver/package.json", { paths: [cdktf] })));
}

module.exports = function archiver(...args) {
  return real()(...args);
};
