// Stops the background offline Terraform run if a filtered test run finished before it.
module.exports = async () => {
  const child = globalThis.__cmkOfflineChild;
  if (child && child.exitCode === null) child.kill("SIGTERM");
};
