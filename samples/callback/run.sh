#!/usr/bin/env bash
# Runs the callback sample on `stepflow serve` with the AWS CLI (apt-get install awscli):
# the function host serves request_approval, which completes the waiting task
# through SendTaskSuccess on the same server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
stepflow=${STEPFLOW:-$root/build/server/stepflow}
port=${PORT:-8083}
endpoint=http://127.0.0.1:$port
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT

AWS_ENDPOINT_URL_SFN=$endpoint python3 "$root/samples/function_host/host.py" --dir "$here/functions" --port 0 --quiet \
  >"$tmp/host.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '^listening on ' "$tmp/host.log" && break; sleep 0.1; done
functions=$(sed -n 's/^listening on //p' "$tmp/host.log")
"$stepflow" serve --port "$port" --lambda-endpoint "$functions" --db "$tmp/stepflow.db" &
pids+=($!)

export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1
sfn() { aws --endpoint-url "$endpoint" stepfunctions "$@"; }
for _ in $(seq 50); do sfn list-state-machines >/dev/null 2>&1 && break; sleep 0.2; done

machine=$(sfn create-state-machine --name callback --definition "file://$here/definition.asl.json" \
  --role-arn arn:aws:iam::000000000000:role/stepflow --query stateMachineArn --output text)
execution=$(sfn start-execution --state-machine-arn "$machine" --input "file://$here/input.json" \
  --query executionArn --output text)
echo "started $execution; waiting for the approval"
while [ "$(sfn describe-execution --execution-arn "$execution" --query status --output text)" = RUNNING ]; do
  sleep 0.5
done
sfn describe-execution --execution-arn "$execution" --query '[status, output]' --output text
