// Drives `stepflow serve` with the AWS SDK for JavaScript v3.
// usage: node sfn_sdk_test.mjs ENDPOINT PASS_CHAIN_JSON LONG_WAIT_JSON
import {
  SFNClient, CreateStateMachineCommand, DescribeStateMachineCommand, ListStateMachinesCommand,
  StartExecutionCommand, DescribeExecutionCommand, ListExecutionsCommand, GetExecutionHistoryCommand,
  StopExecutionCommand, ValidateStateMachineDefinitionCommand, SendTaskSuccessCommand, StartSyncExecutionCommand,
  paginateListExecutions, paginateGetExecutionHistory,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";

const [endpoint, passChain, longWait] = process.argv.slice(2);
// disableHostPrefix: StartSyncExecution would otherwise go to host "sync-127.0.0.1".
const client = new SFNClient({ endpoint, region: "us-east-1", maxAttempts: 1, disableHostPrefix: true });
const role = "arn:aws:iam::000000000000:role/stepflow";

async function expectError(name, command) {
  try {
    await client.send(command);
  } catch (e) {
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata.httpStatusCode, 400);
    return;
  }
  assert.fail(`expected ${name}, the call succeeded`);
}

async function untilDone(executionArn) {
  for (let i = 0; i < 600; i++) {
    const d = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== "RUNNING") return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${executionArn} did not finish`);
}

const { stateMachineArn, creationDate } = await client.send(
  new CreateStateMachineCommand({ name: "sdk", definition: passChain, roleArn: role }));
assert.ok(creationDate instanceof Date && Math.abs(creationDate - Date.now()) < 60000, `creationDate ${creationDate}`);
const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn }));
assert.equal(described.name, "sdk");
assert.deepEqual(JSON.parse(described.definition), JSON.parse(passChain));
assert.equal((await client.send(new ListStateMachinesCommand({}))).stateMachines.length, 1);

const arns = [];
for (let i = 0; i < 7; i++) {
  const out = await client.send(new StartExecutionCommand({ stateMachineArn, name: `e${i}`, input: JSON.stringify({ i }) }));
  assert.ok(out.startDate instanceof Date);
  arns.push(out.executionArn);
}
for (const [i, arn] of arns.entries()) {
  const d = await untilDone(arn);
  assert.equal(d.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(d.output), { i, a: { x: 1 } });
  assert.ok(d.stopDate instanceof Date && d.stopDate >= d.startDate);
}

const seen = [];
let pages = 0;
for await (const page of paginateListExecutions({ client, pageSize: 3 }, { stateMachineArn })) {
  pages++;
  for (const e of page.executions) seen.push(e.executionArn);
}
assert.equal(pages, 3);
assert.deepEqual([...seen].sort(), [...arns].sort());

const events = [];
for await (const page of paginateGetExecutionHistory({ client, pageSize: 2 }, { executionArn: arns[0], reverseOrder: true })) {
  events.push(...page.events);
}
assert.deepEqual(events.map((e) => e.id), [6, 5, 4, 3, 2, 1]);
assert.equal(events[0].type, "ExecutionSucceeded");
assert.ok(events[0].timestamp instanceof Date);
assert.deepEqual(JSON.parse(events[0].executionSucceededEventDetails.output), { i: 0, a: { x: 1 } });

const waits = await client.send(new CreateStateMachineCommand({ name: "sdk-waits", definition: longWait, roleArn: role }));
const running = await client.send(new StartExecutionCommand({ stateMachineArn: waits.stateMachineArn }));
const stopped = await client.send(new StopExecutionCommand({ executionArn: running.executionArn, error: "E", cause: "C" }));
assert.ok(stopped.stopDate instanceof Date);
const aborted = await untilDone(running.executionArn);
assert.equal(aborted.status, "ABORTED");
assert.equal(aborted.error, "E");

const validated = await client.send(new ValidateStateMachineDefinitionCommand({ definition: '{"StartAt":"X","States":{}}' }));
assert.equal(validated.result, "FAIL");
assert.ok(validated.diagnostics.length > 0 && validated.diagnostics[0].code);

const express = await client.send(
  new CreateStateMachineCommand({ name: "sdk-express", definition: passChain, roleArn: role, type: "EXPRESS" }));
const sync = await client.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, input: '{"s":1}' }));
assert.equal(sync.status, "SUCCEEDED");
assert.deepEqual(JSON.parse(sync.output), { s: 1, a: { x: 1 } });
assert.ok(sync.stopDate instanceof Date && sync.stopDate >= sync.startDate);
await expectError("StateMachineTypeNotSupported", new StartSyncExecutionCommand({ stateMachineArn }));

await expectError("StateMachineAlreadyExists",
  new CreateStateMachineCommand({ name: "sdk", definition: longWait, roleArn: role }));
await expectError("ExecutionDoesNotExist", new DescribeExecutionCommand({ executionArn: arns[0] + "-none" }));
await expectError("InvalidArn", new DescribeExecutionCommand({ executionArn: "arn:nope" }));
await expectError("ExecutionAlreadyExists",
  new StartExecutionCommand({ stateMachineArn, name: "e0", input: '{"other":1}' }));
await expectError("InvalidToken", new SendTaskSuccessCommand({ taskToken: "nope", output: "{}" }));
await expectError("InvalidDefinition",
  new CreateStateMachineCommand({ name: "bad", definition: '{"StartAt":"X","States":{}}', roleArn: role }));
console.log("sdk: all checks passed");
