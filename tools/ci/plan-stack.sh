#!/usr/bin/env bash
# Deploy, step 1 of 2 for one stack (no approval gate): plan it, run the plan guard, compute the
# plan's digest and write the rendered plan (redacted change list, the guard's verdict and picture,
# the digest) to the job summary, which approvers read on the run page before they approve the
# apply job. Outputs (GITHUB_OUTPUT): digest, changes (true/false), run-id (Terraform Cloud).
# The saved plan and its JSON hold sensitive values in cleartext: they stay in $RUNNER_TEMP and are
# deleted when this script ends, whatever happened; only the redacted summary leaves it.
#
# Usage: plan-stack.sh <stack>    Environment: MODE (none|local|remote|agent), ENV_NAME,
# RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_SHA; Terraform's own credentials.
set -euo pipefail
stack="$1"
dir="cdktf.out/stacks/${stack}"
plans="$RUNNER_TEMP/plans-${stack}"
report="$RUNNER_TEMP/report-${stack}.json"
mkdir -p "$plans"
trap 'rm -rf "$plans"' EXIT
run_id=""
if [ "$MODE" = remote ] || [ "$MODE" = agent ]; then
  # A run that waits for confirmation: Terraform Cloud keeps its own confirm step, which only the
  # gated apply job gives, after checking that the run's plan still has this digest.
  npm run -s ci -- tfc-plan "$dir" --plan-json "$plans/plan.json" --run-file "$plans/run.json" --message "deploy ${GITHUB_SHA}: ${stack}"
  run_id="$(jq -er .runId "$plans/run.json")"
else
  terraform -chdir="$dir" init -input=false -no-color
  # Read-only role: no state lock here (the apply job plans again, with the lock).
  terraform -chdir="$dir" plan -input=false -no-color -lock=false -out="$plans/plan.tfplan"
  terraform -chdir="$dir" show -json "$plans/plan.tfplan" > "$plans/plan.json"
fi
npm run -s ci -- record "$report" --env "$ENV_NAME" --stack "$stack" --plan "$plans/plan.json"
guard=0
npm run -s plan:guard -- "${stack}=$plans/plan.json" --allowlist plan-guard.allow.json --summary "$plans/guard.md" --quiet || guard=$?
npm run -s ci -- guard-result "$report" --env "$ENV_NAME" --exit "$guard" --summary "$plans/guard.md"
digest="$(npm run -s ci -- plan-digest "$plans/plan.json")"
changes=false
if npm run -s ci -- has-changes "$plans/plan.json"; then changes=true; fi
npm run -s ci -- summary "$report" --env "$ENV_NAME" --title "Plan of ${stack} for approval (digest ${digest})" >> "$GITHUB_STEP_SUMMARY"
if [ "$guard" -ne 0 ]; then
  if [ -n "$run_id" ]; then npm run -s ci -- tfc-discard "$dir" --run-id "$run_id" || echo "::warning::discard TFC run ${run_id} in Terraform Cloud: this token may not discard runs"; fi
  echo "::error::the plan guard refused the plan of ${stack}: nothing is applied (see the job summary)"
  exit "$guard"
fi
{
  echo "digest=${digest}"
  echo "changes=${changes}"
  echo "run-id=${run_id}"
} >> "$GITHUB_OUTPUT"
