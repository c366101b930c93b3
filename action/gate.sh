#!/usr/bin/env bash
# The gate step of opcompat's GitHub Action (action.yml): check the models, write the markdown
# report to the job summary, optionally a SARIF file, and exit with opcompat's exit code.
# Inputs arrive as environment variables (never interpolated into the script: no injection).
set -uo pipefail

: "${OPCOMPAT_MODELS:?the models input is required}"
api_level="${OPCOMPAT_API_LEVEL:-33}"
fail_on="${OPCOMPAT_FAIL_ON:-any-fallback}"
report="${OPCOMPAT_REPORT:-opcompat-report.md}"
# GitHub refuses a step summary over 1 MiB; keep room for the verdict lines.
summary_limit="${GATE_SUMMARY_LIMIT:-1000000}"  # a smaller one in tests

# One model per line when the input has several lines (a path may then hold spaces), else
# word-split; globs (** too) are expanded either way; opcompat reports what matches nothing.
shopt -s globstar
models=()
if [[ "$OPCOMPAT_MODELS" == *$'\n'* ]]; then
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"   # trim leading and trailing blanks
    line="${line%"${line##*[![:space:]]}"}"
    [ -z "$line" ] && continue
    # Split on newlines only: the line stays one word, and its glob is still expanded.
    IFS=$'\n'
    # shellcheck disable=SC2206
    matched=( $line )
    unset IFS
    models+=("${matched[@]}")
  done <<< "$OPCOMPAT_MODELS"
else
  # shellcheck disable=SC2206
  models=( $OPCOMPAT_MODELS )
fi

# A boolean input is "true" or "false" (any case); anything else is a usage error (exit 2).
is_true() {
  case "${1:-false}" in
    [Tt][Rr][Uu][Ee]) return 0 ;;
    [Ff][Aa][Ll][Ss][Ee]|"") return 1 ;;
    *) echo "::error::opcompat: a boolean input must be true or false, got '$1'" >&2; exit 2 ;;
  esac
}
device=(--api-level "$api_level" --target "${OPCOMPAT_TARGET:-nnapi}")
[ -n "${OPCOMPAT_FEATURE_LEVEL:-}" ] && device+=(--feature-level "$OPCOMPAT_FEATURE_LEVEL")
[ -n "${OPCOMPAT_MAX_PARTITIONS:-}" ] && device+=(--max-partitions "$OPCOMPAT_MAX_PARTITIONS")
is_true "${OPCOMPAT_NNAPI_CPU:-}" && device+=(--nnapi-cpu)
is_true "${OPCOMPAT_GPU_NO_QUANT:-}" && device+=(--gpu-no-quant)
is_true "${OPCOMPAT_GPU_NO_OPENCL:-}" && device+=(--gpu-no-opencl)
policy=(--fail-on "$fail_on")
is_true "${OPCOMPAT_STRICT_COUNT:-}" && policy+=(--strict-count)
[ -n "${OPCOMPAT_MIN_DELEGATED_RATIO:-}" ] && policy+=(--min-delegated-ratio "$OPCOMPAT_MIN_DELEGATED_RATIO")
[ -n "${OPCOMPAT_BASELINE:-}" ] && policy+=(--baseline "$OPCOMPAT_BASELINE")

errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
opcompat check "${models[@]}" "${device[@]}" "${policy[@]}" --format markdown -o "$report" 2>"$errors"
code=$?
cat "$errors" >&2

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    if [ -f "$report" ] && [ "$(wc -c <"$report")" -le "$summary_limit" ]; then
      cat "$report"
    elif [ -f "$report" ]; then
      # Too large for a job summary: the overview (everything before the first model's section)
      # and a pointer to the whole file.
      awk '/^### /{exit} {print}' "$report" | head -c "$summary_limit"
      echo
      echo "_The full report ($(wc -c <"$report") bytes) is larger than a job summary allows: see \`$report\`._"
    fi
    echo
    case "$code" in
      0) echo "**opcompat gate: passed** (\`--fail-on $fail_on\`)" ;;
      1) echo "**opcompat gate: failed** (\`--fail-on $fail_on\`)" ;;
      2) echo "**opcompat gate: usage error** (check the action's inputs)" ;;
      3) echo "**opcompat gate: a model could not be read**" ;;
      *) echo "**opcompat gate: opcompat did not finish** (exit code $code)" ;;
    esac
    # The policy's own lines and the one-line errors, as opcompat printed them (at most 50).
    grep -E '^(policy failed|warning|opcompat: error): |: unreadable: ' "$errors" \
      | head -n 50 | cut -c1-1000 | sed 's/^/- /' || true
  } >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${OPCOMPAT_SARIF:-}" ] && [ "$code" != 2 ]; then
  # The SARIF file is for code scanning, for the same device; the gate's verdict is the first run's.
  opcompat check "${models[@]}" "${device[@]}" --format sarif -o "$OPCOMPAT_SARIF" 2>/dev/null || true
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$code"
    echo "report=$report"
  } >> "$GITHUB_OUTPUT"
fi
case "$code" in
  0) echo "opcompat: the policy passed" ;;
  1) echo "::error::opcompat: the delegation policy failed (see the job summary)" ;;
  2) echo "::error::opcompat: usage error (check the action's inputs)" ;;
  3) echo "::error::opcompat: a model could not be read" ;;
  *) echo "::error::opcompat did not finish (exit code $code)" ;;
esac
exit "$code"
