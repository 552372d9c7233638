#!/usr/bin/env bash
# Drift check for one stack, read-only: `terraform plan -detailed-exitcode` (exit 2: the real
# resources differ from the configuration on main) or a speculative Terraform Cloud run; never an
# apply. Records the redacted change list in the environment's report. Exit 0 no drift, 2 drift,
# anything else: the plan failed. The plan and its JSON are deleted when this script ends.
#
# Usage: drift-stack.sh <stack> <report>    Environment: MODE, ENV_NAME, RUNNER_TEMP.
set -euo pipefail
stack="$1"
report="$2"
dir="cdktf.out/stacks/${stack}"
plans="$RUNNER_TEMP/drift-${stack}"
mkdir -p "$plans"
trap 'rm -rf "$plans"' EXIT
if [ "$MODE" = remote ] || [ "$MODE" = agent ]; then
  if ! npm run -s ci -- tfc-plan "$dir" --speculative --plan-json "$plans/plan.json" --run-file "$plans/run.json" --message "drift check: ${stack}"; then
    npm run -s ci -- record "$report" --env "$ENV_NAME" --stack "$stack" --status failed --note "the drift plan failed"
    exit 1
  fi
  code=0
  npm run -s ci -- has-changes "$plans/plan.json" && code=2
else
  code=0
  terraform -chdir="$dir" init -input=false -no-color || code=$?
  if [ "$code" -eq 0 ]; then terraform -chdir="$dir" plan -input=false -no-color -lock=false -detailed-exitcode -out="$plans/plan.tfplan" || code=$?; fi
  if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then
    npm run -s ci -- record "$report" --env "$ENV_NAME" --stack "$stack" --status failed --note "the drift plan failed"
    exit "$code"
  fi
  terraform -chdir="$dir" show -json "$plans/plan.tfplan" > "$plans/plan.json"
fi
npm run -s ci -- record "$report" --env "$ENV_NAME" --stack "$stack" --plan "$plans/plan.json"
exit "$code"
