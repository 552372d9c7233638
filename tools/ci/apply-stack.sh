#!/usr/bin/env bash
# Deploy, step 2 of 2 for one stack (in the GitHub environment, after its approval): apply only the
# plan that was approved. Terraform in this job: plan again, compute the digest, REFUSE when it is
# not the approved one (both digests in the message), else apply exactly that saved plan. Terraform
# Cloud (remote or agent execution): re-read the approved run's plan, check its digest and run the
# plan guard on it again, confirm the run (or discard it). The saved plan and its JSON are deleted when this script ends.
#
# Usage: apply-stack.sh <stack>    Environment: MODE, APPROVED (the plan job's digest), RUN_ID
# (Terraform Cloud), WAIT_MINUTES, RUNNER_TEMP, GITHUB_STEP_SUMMARY; Terraform's own credentials.
set -euo pipefail
stack="$1"
dir="cdktf.out/stacks/${stack}"
if [ -z "${APPROVED:-}" ]; then
  echo "::error::no approved digest for ${stack}: the plan job did not finish"
  exit 1
fi
if [ "$MODE" = remote ] || [ "$MODE" = agent ]; then
  # The guard runs again on the run's plan before it is confirmed (an allowlist entry may have expired).
  npm run -s ci -- tfc-apply "$dir" --run-id "$RUN_ID" --expect "$APPROVED" --wait-minutes "$WAIT_MINUTES" --allowlist plan-guard.allow.json --stack "$stack"
  exit 0
fi
plans="$RUNNER_TEMP/plans-${stack}"
mkdir -p "$plans"
trap 'rm -rf "$plans"' EXIT
terraform -chdir="$dir" init -input=false -no-color
terraform -chdir="$dir" plan -input=false -no-color -out="$plans/plan.tfplan"
terraform -chdir="$dir" show -json "$plans/plan.tfplan" > "$plans/plan.json"
if ! npm run -s ci -- check-digest "$plans/plan.json" --expect "$APPROVED" 2> "$plans/check.txt"; then
  cat "$plans/check.txt" >&2
  { echo "### ${stack}: not applied"; echo; sed 's/^ci: //' "$plans/check.txt"; } >> "$GITHUB_STEP_SUMMARY"
  exit 1
fi
cat "$plans/check.txt" >&2
# The same change the approvers saw; the guard runs again on it (an allowlist entry may have expired).
npm run -s plan:guard -- "${stack}=$plans/plan.json" --allowlist plan-guard.allow.json --quiet
rm -f "$plans/plan.json"
terraform -chdir="$dir" apply -input=false -no-color "$plans/plan.tfplan"
echo "### ${stack}: applied the approved plan (${APPROVED})" >> "$GITHUB_STEP_SUMMARY"
