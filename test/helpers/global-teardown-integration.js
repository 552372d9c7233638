// The integration project's global teardown: a module of its own, as its setup (global-setup-unit.js).
module.exports = (...args) => require("./global-teardown")(...args);
