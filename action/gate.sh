#!/usr/bin/env bash
# The gate step of opcompat's GitHub Action (action.yml): check the models, write the markdown
# report to the job summary, optionally a SARIF file, and exit with opcompat's exit code.
# Inputs arrive as environment variables (never interpolated into the script: no injection).
set -uo pipefail

: "${OPCOMPAT_MODELS:?the models input is required}"
api_level="${OPCOMPAT_API_LEVEL:-33}"
fail_on="${OPCOMPAT_FAIL_ON:-any-fallback}"
report="${OPCOMPAT_REPORT:-opcompat-report.md}"

# Word-split the models input and expand globs (** too); opcompat reports what matches nothing.
shopt -s globstar
# shellcheck disable=SC2206
models=( $OPCOMPAT_MODELS )

flags=(--api-level "$api_level" --fail-on "$fail_on")
[ -n "${OPCOMPAT_FEATURE_LEVEL:-}" ] && flags+=(--feature-level "$OPCOMPAT_FEATURE_LEVEL")
[ -n "${OPCOMPAT_MIN_DELEGATED_RATIO:-}" ] && flags+=(--min-delegated-ratio "$OPCOMPAT_MIN_DELEGATED_RATIO")
[ -n "${OPCOMPAT_BASELINE:-}" ] && flags+=(--baseline "$OPCOMPAT_BASELINE")

opcompat check "${models[@]}" "${flags[@]}" --format markdown -o "$report"
code=$?

if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$report" ]; then
  cat "$report" >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${OPCOMPAT_SARIF:-}" ]; then
  # The SARIF file is for code scanning; the gate's verdict is the first run's.
  opcompat check "${models[@]}" --api-level "$api_level" --format sarif -o "$OPCOMPAT_SARIF" || true
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$code"
    echo "report=$report"
  } >> "$GITHUB_OUTPUT"
fi
case "$code" in
  0) echo "opcompat: the policy passed" ;;
  1) echo "::error::opcompat: the NNAPI delegation policy failed (see the job summary)" ;;
  2) echo "::error::opcompat: usage error (check the action's inputs)" ;;
  3) echo "::error::opcompat: a model could not be read" ;;
esac
exit "$code"
